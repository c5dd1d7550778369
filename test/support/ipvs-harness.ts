// IpvsManager on the in-memory IPVS kernel with health checks on a hand-driven clock: a test
// says which real servers answer, runs one check round, and reads the kernel, the calls made,
// the reconcile reports and the log. For unit tests of the daemon's IPVS side.
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { IpvsManager, type ReconcileReport, type RestoredState } from '../../src/daemon/ipvs-manager.js';
import { HealthMonitor, type OperatorOverride, type ProbeResult } from '../../src/health/index.js';
import type { Retirement } from '../../src/ipvs/plan.js';
import { FakeIpvsKernel } from './fake-ipvs-kernel.js';
import { FakeClock } from './fake-clock.js';
import { logSink } from './log-sink.js';

/** A loaded config from the YAML of its `services:` list (and optional `ipvs:` block). */
export function servicesConfig(services: string, ipvs = ''): Config {
  const loaded = parseConfigText(`node: { name: lb1 }\n${ipvs ? `ipvs: ${ipvs}\n` : ''}services:\n${services}`, 'test.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'));
  return loaded.config;
}

/** The check interval the harness's configs use: one clock advance of this runs one round. */
export const CHECK_MS = 1000;
export const check = `{ type: tcp, interval: ${CHECK_MS}ms, timeout: 500ms, rise: 1, fall: 1 }`;

export interface Harness {
  kernel: FakeIpvsKernel;
  manager: IpvsManager;
  health: HealthMonitor;
  clock: FakeClock;
  reports: ReconcileReport[];
  /** JSON log lines. */
  logs: string[];
  /** What each real server ("198.18.1.11:80") answers; absent = up. */
  answers: Map<string, { ok: boolean; weight?: number }>;
  /** Runs one check round and waits until the reconcile it caused reached the kernel. */
  round(): Promise<void>;
  /** Log messages at a level (pino: 30 info, 40 warn, 50 error). */
  messages(level?: number): string[];
}

export async function startManager(config: Config, opts: { kernel?: FakeIpvsKernel; retire?: Retirement[]; restored?: RestoredState; masters?: string[] } = {}): Promise<Harness> {
  const kernel = opts.kernel ?? new FakeIpvsKernel();
  const clock = new FakeClock();
  const answers = new Map<string, { ok: boolean; weight?: number }>();
  const checker = async (t: { address: string; port: number }): Promise<ProbeResult> => {
    const a = answers.get(`${t.address}:${t.port}`) ?? { ok: true };
    return { ok: a.ok, reason: a.ok ? 'answered' : 'refused', ...(a.weight !== undefined ? { weight: a.weight } : {}), durationMs: 1 };
  };
  const { logger, lines } = logSink();
  const health = new HealthMonitor({ clock, jitter: 0, random: () => 0, checker, logger });
  const reports: ReconcileReport[] = [];
  const manager = await IpvsManager.start(config, { client: kernel, health, log: logger, onReconciled: (r) => reports.push(r), ...(opts.masters ? { masters: opts.masters } : {}) }, opts.retire, opts.restored);
  return {
    kernel,
    manager,
    health,
    clock,
    reports,
    logs: lines,
    answers,
    async round() {
      await clock.advance(CHECK_MS);
      await manager.settled();
    },
    messages(level) {
      return lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => level === undefined || l.level === level).map((l) => l.msg);
    },
  };
}

/**
 * Sets (or with 'clear' lifts) one override of `manager`, as the daemon does after a runtime
 * change: the whole set in force goes to replaceOverrides. `realServer` is "address:port".
 */
export function setOverride(manager: IpvsManager, service: string, realServer: string | undefined, override: OperatorOverride | 'clear'): void {
  const rest = manager.overridesList().filter((o) => o.service !== service || o.realServer !== realServer);
  manager.replaceOverrides(override === 'clear' ? rest : [...rest, { service, ...(realServer !== undefined ? { realServer } : {}), override, source: 'cli', at: 0 }]);
}
