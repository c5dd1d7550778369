// The importer's entry points: keepalived.conf (and what it includes) -> lvsd YAML and the
// findings; for a pair, each node's keepalived.conf (or one file read with each node's config id)
// -> one file with nodes:. Pure apart from reading through `files`. The result is checked with
// lvsd's own loader (every node's view), so an import that `lvsd check` would refuse says so
// instead of looking complete.
import { basename, extname } from 'node:path';
import { formatIssue, parseConfigViews } from '../config/load.js';
import { lvsdName } from './context.js';
import { Findings, sortFindings } from './findings.js';
import { foldNodes } from './fold-nodes.js';
import { mapStatements, type Mapped } from './map.js';
import { parseStatements } from './parser.js';
import { preprocess } from './preprocess.js';
import type { Finding, ImportOptions, SourceFiles } from './types.js';
import { writeYaml } from './write-yaml.js';

export interface ImportResult {
  yaml: string;
  findings: Finding[];
  /** Everything was carried over (approximations aside) and lvsd check accepts the YAML. */
  complete: boolean;
  /** What lvsd check says about the YAML (file:line:col: message), empty when it accepts it. */
  checkErrors: string[];
}

/** One node of a pair import: its keepalived.conf and the config id it is read with. */
export interface NodeSource {
  path: string;
  configId: string;
}

const FOOTER = [
  ' Each block names the keepalived file:line it comes from; what could not be imported is listed',
  ' by the import on stderr. Check it with: lvsd check -c FILE',
];

export function importKeepalived(path: string, files: SourceFiles, options: ImportOptions, outputName = 'lvsd.yaml'): ImportResult {
  const findings = new Findings();
  const mapped = mapFile(path, files, options, findings);
  const header = [` lvsd configuration imported from ${options.display(path)} by "lvsd import keepalived" (config id ${options.configId}).`, ...FOOTER];
  return finish(writeYaml(mapped, header.join('\n')), findings, outputName);
}

/** Several nodes into one file with nodes:, each node named by its router_id (else its config id or file name). */
export function importKeepalivedNodes(sources: readonly NodeSource[], files: SourceFiles, display: (path: string) => string, outputName = 'lvsd.yaml'): ImportResult {
  const findings = new Findings();
  const mapped = sources.map((s) => mapFile(s.path, files, { configId: s.configId, display }, findings));
  const names = nodeNames(sources, mapped);
  const folded = foldNodes(mapped.map((m, i) => ({ name: names[i] as string, mapped: m, at: { file: display(sources[i]?.path ?? ''), line: 1 } })), findings);
  const from = sources.map((s, i) => `${display(s.path)} (config id ${s.configId}) as node ${names[i]}`).join(', ');
  const header = [` lvsd configuration for ${names.length} nodes imported by "lvsd import keepalived" from ${from}.`, ...FOOTER];
  return finish(writeYaml(folded, header.join('\n')), findings, outputName);
}

function mapFile(path: string, files: SourceFiles, options: ImportOptions, findings: Findings): Mapped {
  const lines = preprocess(path, files, options, findings);
  return mapStatements(parseStatements(lines, findings), findings, options.configId);
}

/** The router_ids when they tell the nodes apart, else the config ids, else the file names. */
function nodeNames(sources: readonly NodeSource[], mapped: readonly Mapped[]): string[] {
  const distinct = (names: string[]): boolean => new Set(names).size === names.length;
  const routerIds = mapped.map((m) => String((m.config.node as { name?: unknown } | undefined)?.name ?? ''));
  if (distinct(routerIds)) return routerIds;
  const ids = sources.map((s) => lvsdName(s.configId));
  if (distinct(ids)) return ids;
  const fileNames = sources.map((s) => lvsdName(basename(s.path, extname(s.path))));
  return distinct(fileNames) ? fileNames : sources.map((_, i) => `node${i + 1}`);
}

function finish(yaml: string, findings: Findings, outputName: string): ImportResult {
  const checked = parseConfigViews(yaml, outputName);
  const checkErrors = checked.ok ? [] : checked.errors.map(formatIssue);
  return { yaml, findings: sortFindings(findings.list), complete: findings.complete && checked.ok, checkErrors };
}
