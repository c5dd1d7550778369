// The importer's entry point: keepalived.conf (and what it includes) -> lvsd YAML and the
// findings. Pure apart from reading through `files`. The result is checked with lvsd's own
// loader, so an import that `lvsd check` would refuse says so instead of looking complete.
import { parseConfigText } from '../config/load.js';
import { Findings, sortFindings } from './findings.js';
import { mapStatements } from './map.js';
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

export function importKeepalived(path: string, files: SourceFiles, options: ImportOptions, outputName = 'lvsd.yaml'): ImportResult {
  const findings = new Findings();
  const lines = preprocess(path, files, options, findings);
  const statements = parseStatements(lines, findings);
  const mapped = mapStatements(statements, findings, options.configId);
  const header = [
    ` lvsd configuration imported from ${options.display(path)} by "lvsd import keepalived" (config id ${options.configId}).`,
    ' Each block names the keepalived file:line it comes from; what could not be imported is listed',
    ' by the import on stderr. Check it with: lvsd check -c FILE',
  ].join('\n');
  const yaml = writeYaml(mapped, header);
  const checked = parseConfigText(yaml, outputName);
  const checkErrors = checked.ok ? [] : checked.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`);
  return { yaml, findings: sortFindings(findings.list), complete: findings.complete && checked.ok, checkErrors };
}
