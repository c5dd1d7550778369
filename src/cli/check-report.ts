// `lvsd check`: validate a config file the way the daemon would load it, without touching the
// kernel. Exit 0 when it loads, 1 when it does not; problems go to stderr as file:line:col.
// A file with nodes: is checked as every node would load it, unless --node names one.
import { formatDuration } from '../config/duration.js';
import { describeServiceMatch } from '../config/derived.js';
import { formatIssue, sortIssues } from '../config/issues.js';
import { loadConfigViews, type NodeChoice } from '../config/load.js';
import { listChecks } from '../config/schema-checks.js';
import type { Config } from '../config/types.js';

export interface CheckOptions {
  config: string;
  json?: boolean;
  strict?: boolean;
  /** Default: every node of a file with nodes:. */
  node?: NodeChoice;
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Lines collected and written at the end in one go: 10,000 services are one write, not 10,000. */
function bufferedStdio(): Output & { flush(): void } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    flush: () => {
      if (err.length > 0) process.stderr.write(`${err.join('\n')}\n`);
      if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
    },
  };
}

/** Runs the check and returns the exit code. */
export async function runCheck(options: CheckOptions, io?: Output): Promise<number> {
  if (io) return check(options, io);
  const stdio = bufferedStdio();
  try {
    return await check(options, stdio);
  } finally {
    stdio.flush();
  }
}

async function check(options: CheckOptions, io: Output): Promise<number> {
  const result = await loadConfigViews(options.config, options.node);
  const problems = [
    ...result.warnings.map((w) => ({ ...w, message: `warning: ${w.message}` })),
    ...(result.ok ? [] : result.errors),
  ];
  for (const issue of sortIssues(problems)) io.err(formatIssue(issue));
  if (!result.ok) {
    io.err(`${options.config}: ${count(result.errors.length, 'error')}, the configuration was not accepted`);
    return 1;
  }
  if (options.strict && result.warnings.length > 0) {
    io.err(`${options.config}: ${count(result.warnings.length, 'warning')}, refused because of --strict`);
    return 1;
  }
  const { views } = result;
  const [only] = views;
  if (views.length === 1 && only !== undefined) {
    if (options.json) io.out(JSON.stringify(only.config, null, 2));
    else for (const line of formatSummary(only.config, options.config, result.warnings.length)) io.out(line);
  } else if (options.json) {
    io.out(JSON.stringify(Object.fromEntries(views.map((v) => [v.node, v.config])), null, 2));
  } else {
    for (const line of formatNodesSummary(views.map((v) => ({ node: v.node ?? '', config: v.config })), options.config, result.warnings.length)) io.out(line);
  }
  return 0;
}

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

const warned = (warnings: number): string => (warnings > 0 ? ` (${count(warnings, 'warning')})` : '');

/** A short normalized view: what lvsd will float and what it will balance. */
export function formatSummary(config: Config, file: string, warnings = 0): string[] {
  return [`${file}: OK, node ${config.node.name}${warned(warnings)}`, ...vrrpSummary(config, ''), ...servicesSummary(config)];
}

/** Every node's VRRP, then the services they share. */
export function formatNodesSummary(views: { node: string; config: Config }[], file: string, warnings = 0): string[] {
  const lines = [`${file}: OK, nodes ${views.map((v) => v.node).join(', ')}${warned(warnings)}`];
  for (const { node, config } of views) lines.push(...vrrpSummary(config, `node ${node}: `));
  const [first] = views;
  return first ? [...lines, ...servicesSummary(first.config)] : lines;
}

function vrrpSummary(config: Config, prefix: string): string[] {
  const { instances, sync_groups: groups } = config.vrrp;
  const lines = [`${prefix}VRRP instances: ${instances.length}`];
  lines.push(
    ...table(
      instances.map((inst) => [
        inst.name,
        inst.interface,
        `vrid ${inst.vrid}`,
        `prio ${inst.priority}`,
        `v${inst.version}`,
        `every ${formatDuration(inst.advert_interval)}`,
        inst.unicast_peers.length > 0 ? `unicast to ${inst.unicast_peers.join(',')}` : 'multicast',
        inst.vips.map((v) => `${v.address}/${v.prefix}${v.dev !== undefined ? ` dev ${v.dev}` : ''}`).join(' '),
      ]),
    ),
  );
  if (groups.length > 0) {
    lines.push(`${prefix}sync groups: ${groups.length}`);
    lines.push(...table(groups.map((g) => [g.name, g.instances.join(', ')])));
  }
  return lines;
}

function servicesSummary(config: Config): string[] {
  const lines = [`services: ${config.services.length}`];
  lines.push(
    ...table(
      config.services.map((svc) => [
        svc.name,
        describeServiceMatch(svc),
        svc.scheduler,
        svc.forwarding,
        count(svc.real_servers.length, 'real server'),
        svc.check ? `check ${listChecks(svc.check).map((c) => c.type).join('+')}` : 'no check',
        svc.persistence > 0 ? `persistence ${formatDuration(svc.persistence)}` : '',
      ]),
    ),
  );
  return lines;
}

/** Left-aligned columns, two spaces apart, indented two. */
function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd());
}
