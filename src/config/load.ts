// Reading a config file: YAML text -> syntax check -> zod schema -> cross-field rules, with every
// problem reported as file:line:col at the node it concerns. Never throws on bad input.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { sortIssues, formatPath, type ConfigIssue } from './issues.js';
import { sourcePositions } from './positions.js';
import { checkConfigRules } from './rules/index.js';
import { configSchema } from './schema.js';
import type { Config } from './types.js';
import { zodIssuesToPathIssues, type PathIssue } from './zod-messages.js';

export { formatIssue, type ConfigIssue } from './issues.js';

export { DEFAULT_CONFIG_PATH } from './paths.js';

/**
 * yaml's measure of alias use (uses of an anchor times the aliases nested in it). Sharing one
 * check block across a few thousand services is fine; a "billion laughs" file, whose
 * expansion grows exponentially with nesting, is refused before it eats the daemon's memory.
 */
const MAX_ALIAS_EXPANSION = 5000;

export type LoadResult =
  | { ok: true; config: Config; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };

export async function loadConfigFile(path: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    return { ok: false, errors: [{ file: path, line: 1, col: 1, message: `cannot read the config file (${reason})` }], warnings: [] };
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, fileName: string): LoadResult {
  try {
    return parseChecked(text, fileName);
  } catch (err) {
    // A bug in a rule must not take down a running daemon that is reloading its config.
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, errors: [{ file: fileName, line: 1, col: 1, message: `internal error while checking the config (please report): ${detail}` }], warnings: [] };
  }
}

function parseChecked(text: string, fileName: string): LoadResult {
  const lines = new LineCounter();
  // YAML 1.2 core schema: no implicit 1.1 types (so `yes` stays a string and is reported),
  // no binary/timestamp/set tags, but `<<` merge keys so services can share a block.
  const doc = parseDocument(text, {
    lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true, merge: true, resolveKnownTags: false,
  });
  const syntaxIssue = (e: YAMLError): ConfigIssue => ({ file: fileName, ...lines.linePos(e.pos[0]), message: yamlMessage(e) });
  const yamlWarnings = doc.warnings.map(syntaxIssue);
  if (doc.errors.length > 0) return { ok: false, errors: sortIssues(doc.errors.map(syntaxIssue)), warnings: yamlWarnings };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const message = detail.startsWith('Excessive alias count')
      ? `YAML aliases expand too far (limit ${MAX_ALIAS_EXPANSION}), expected anchors reused without exponential nesting`
      : `cannot convert the YAML: ${detail}`;
    return { ok: false, errors: [{ file: fileName, line: 1, col: 1, message }], warnings: yamlWarnings };
  }

  const positions = sourcePositions(doc, lines);
  const locate = (issue: PathIssue): ConfigIssue => {
    const at = issue.locate ? positions.locate(issue.locate.path, { key: issue.locate.key }) : positions.locate(issue.path);
    const where = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : '';
    return { file: fileName, ...at, message: `${where}${issue.message}` };
  };

  const parsed = configSchema.safeParse(data ?? {});
  if (!parsed.success) {
    const emptyFile = data === null || data === undefined;
    const errors = emptyFile
      ? [{ file: fileName, line: 1, col: 1, message: 'the file is empty, expected a mapping with at least node: { name: ... }' }]
      : zodIssuesToPathIssues(parsed.error.issues, data, configSchema).map(locate);
    return { ok: false, errors: sortIssues(dedupe(errors)), warnings: yamlWarnings };
  }

  const findings = checkConfigRules(parsed.data, (path) => positions.has(path));
  const warnings = sortIssues([...yamlWarnings, ...findings.warnings.map(locate)]);
  if (findings.errors.length > 0) return { ok: false, errors: sortIssues(dedupe(findings.errors.map(locate))), warnings };
  return { ok: true, config: parsed.data, warnings };
}

/** yaml's own messages, reworded where they would puzzle an operator. */
function yamlMessage(e: YAMLError): string {
  switch (e.code) {
    case 'DUPLICATE_KEY':
      return 'duplicate key, expected each key once per mapping (the second one would silently win elsewhere)';
    case 'TAB_AS_INDENT':
      return 'tab used for indentation, expected spaces';
    case 'MULTIPLE_DOCS':
      return 'more than one YAML document (---), expected a single document';
    default:
      return `YAML syntax error: ${e.message.charAt(0).toLowerCase()}${e.message.slice(1)}`;
  }
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.line}:${i.col}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
