// Reading a config file: YAML text -> syntax check -> zod schema -> cross-field rules, with every
// problem reported as file:line:col at the node it concerns. Never throws on bad input.
//
// Two ways in, one result. The fast path reads the plain YAML subset configs are written in
// (yaml-subset.ts) straight into JS values and validates them; source positions are only worked
// out (with the `yaml` package's Document) when there is something to report. Everything else
// (other YAML, syntax errors) goes the `yaml` way from the start. At 10,000 services this is the
// difference between seconds and hundreds of MB, and a fraction of a second (test/bench/config-check.mjs).
// A ConfigLoader also remembers the validated services of its last load, so that a reload only
// validates the services whose content changed.
import { readFile } from 'node:fs/promises';
import { Composer, LineCounter, Parser, YAMLParseError, isAlias, isCollection, isPair, type CST, type Document, type Node, type YAMLError } from 'yaml';
import { sortIssues, formatPath, type ConfigIssue, type ConfigPath } from './issues.js';
import { sourcePositions, type SourcePositions } from './positions.js';
import { checkConfigRules } from './rules/index.js';
import { configSchema } from './schema.js';
import type { Config, ServiceConfig } from './types.js';
import { readYamlSubset } from './yaml-subset.js';
import { zodIssuesToPathIssues, type PathIssue } from './zod-messages.js';

export { formatIssue, type ConfigIssue } from './issues.js';

export { DEFAULT_CONFIG_PATH } from './paths.js';

/**
 * How many nodes alias uses may add to the document, each use counting the full size of what it
 * points at. Sharing one check block across 10,000 services x 4 real servers adds under 400,000;
 * a "billion laughs" file, whose expansion grows exponentially with nesting, is refused before
 * the schema walks (and copies) every expanded node.
 */
const MAX_ALIAS_EXPANSION = 1_000_000;

/**
 * Collections nested deeper than this are refused with a position. The config itself is at most
 * 8 levels deep; without a bound, yaml's recursive composer overflows the stack on `[[[[...`.
 */
const MAX_NESTING = 64;

const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true, strict: true, merge: true, resolveKnownTags: false } as const;

/** The schema of one service, taken from the file schema (services: list(...).default([])). */
const serviceSchema = configSchema.shape.services.unwrap().element;

export type LoadResult =
  | { ok: true; config: Config; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };

/** What the last load did with the services: validated anew or taken from the load before. */
export interface LoadStats {
  validated: number;
  reused: number;
}

/** Validated services by their content (the JSON of what the YAML said). */
type ServiceCache = Map<string, ServiceConfig>;

export async function loadConfigFile(path: string): Promise<LoadResult> {
  return new ConfigLoader().load(path);
}

export function parseConfigText(text: string, fileName: string): LoadResult {
  return new ConfigLoader().parse(text, fileName);
}

/**
 * Loads a config file again and again (the daemon's reloads): services whose content did not
 * change since the previous load are not validated again, their checked result is reused. A
 * service's validation depends on nothing but its own content; the cross-field rules, which
 * relate services to each other and to VRRP, run on the whole config every time.
 */
export class ConfigLoader {
  private previous: ServiceCache = new Map();
  private stats: LoadStats = { validated: 0, reused: 0 };

  get lastStats(): LoadStats {
    return this.stats;
  }

  async load(path: string): Promise<LoadResult> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const reason = err instanceof Error && 'code' in err ? String(err.code) : String(err);
      return { ok: false, errors: [{ file: path, line: 1, col: 1, message: `cannot read the config file (${reason})` }], warnings: [] };
    }
    return this.parse(text, path);
  }

  parse(text: string, fileName: string): LoadResult {
    try {
      return this.parseChecked(text, fileName);
    } catch (err) {
      // A bug in a rule must not take down a running daemon that is reloading its config.
      const detail = err instanceof Error ? err.message : String(err);
      return { ok: false, errors: [{ file: fileName, line: 1, col: 1, message: `internal error while checking the config (please report): ${detail}` }], warnings: [] };
    }
  }

  private parseChecked(text: string, fileName: string): LoadResult {
    this.stats = { validated: 0, reused: 0 };
    const fast = readYamlSubset(text, { maxAliasExpansion: MAX_ALIAS_EXPANSION, maxNesting: MAX_NESTING });
    if (fast !== undefined) {
      const cache: ServiceCache = new Map();
      const config = this.validateByService(fast, cache);
      if (config !== undefined) {
        const findings = checkConfigRules(config, (path) => hasInData(fast, path));
        if (findings.errors.length === 0 && findings.warnings.length === 0) {
          this.previous = cache;
          return { ok: true, config, warnings: [] };
        }
      }
      // Something to report: find out where, the slow way (exactly as for any other file).
    }
    return checkDocument(text, fileName);
  }

  /**
   * The schema, service by service so that unchanged services can be skipped; undefined when
   * anything is wrong (the caller then validates the whole file to report it).
   */
  private validateByService(data: Record<string, unknown>, cache: ServiceCache): Config | undefined {
    const services = data.services;
    if (!Array.isArray(services)) return undefined;
    const top = configSchema.safeParse({ ...data, services: [] });
    if (!top.success) return undefined;
    const checked: ServiceConfig[] = [];
    for (const raw of services) {
      const key = JSON.stringify(raw);
      let service = this.previous.get(key) ?? cache.get(key);
      if (service !== undefined) {
        this.stats.reused++;
      } else {
        const parsed = serviceSchema.safeParse(raw);
        if (!parsed.success) return undefined;
        service = parsed.data;
        this.stats.validated++;
      }
      cache.set(key, service);
      checked.push(service);
    }
    top.data.services = checked;
    return top.data;
  }
}

/** Whether the file wrote `path` (a key, even with an empty value, or a list item). */
function hasInData(data: unknown, path: ConfigPath): boolean {
  let current = data;
  for (const seg of path) {
    if (Array.isArray(current)) {
      if (typeof seg !== 'number' || seg >= current.length) return false;
    } else if (current === null || typeof current !== 'object' || !Object.hasOwn(current, seg)) {
      return false;
    }
    current = (current as Record<string | number, unknown>)[seg];
  }
  return true;
}

/** The whole file through the `yaml` Document: every syntax error, every position. */
function checkDocument(text: string, fileName: string): LoadResult {
  const read = readDocument(text);
  const { lines } = read;
  if (read.tooDeep !== undefined) {
    const message = `collections nested more than ${MAX_NESTING} levels deep, expected the few levels an lvsd config has (at most 8)`;
    return { ok: false, errors: [{ file: fileName, ...lines.linePos(read.tooDeep), message }], warnings: [] };
  }
  const { doc } = read;
  const syntaxIssue = (e: YAMLError): ConfigIssue => ({ file: fileName, ...lines.linePos(e.pos[0]), message: yamlMessage(e) });
  const yamlWarnings = doc.warnings.map(syntaxIssue);
  if (doc.errors.length > 0) return { ok: false, errors: sortIssues(doc.errors.map(syntaxIssue)), warnings: yamlWarnings };

  if (aliasExpansion(doc) > MAX_ALIAS_EXPANSION) {
    const message = `YAML aliases expand too far (limit ${MAX_ALIAS_EXPANSION} nodes), expected anchors reused without exponential nesting`;
    return { ok: false, errors: [{ file: fileName, line: 1, col: 1, message }], warnings: yamlWarnings };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, errors: [{ file: fileName, line: 1, col: 1, message: `cannot convert the YAML: ${detail}` }], warnings: yamlWarnings };
  }

  const positions = sourcePositions(doc, lines);
  const locate = locator(positions, fileName);
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

function locator(positions: SourcePositions, fileName: string): (issue: PathIssue) => ConfigIssue {
  return (issue) => {
    const at = issue.locate ? positions.locate(issue.locate.path, { key: issue.locate.key }) : positions.locate(issue.path);
    const where = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : '';
    return { file: fileName, ...at, message: `${where}${issue.message}` };
  };
}

type ReadDocument =
  | { lines: LineCounter; doc: Document; tooDeep?: undefined }
  /** Offset of the first collection nested deeper than MAX_NESTING (the document is then not composed). */
  | { lines: LineCounter; tooDeep: number };

/**
 * yaml's parseDocument, in its two steps so the nesting can be checked in between: the parser
 * is iterative, the composer recursive.
 */
function readDocument(text: string): ReadDocument {
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const first = tokens.find((t): t is CST.Document => t.type === 'document');
  const tooDeep = first ? deepCollection(first) : undefined;
  if (tooDeep !== undefined) return { lines, tooDeep };
  let doc: Document | undefined;
  for (const composed of new Composer(YAML_OPTIONS).compose(tokens, true, text.length)) {
    if (!doc) {
      doc = composed;
    } else {
      doc.errors.push(new YAMLParseError([composed.range[0], composed.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
      break;
    }
  }
  // compose(..., forceDoc = true) always yields at least one document.
  return { lines, doc: doc as Document };
}

/** Offset of the first collection deeper than MAX_NESTING in a CST document, without recursion. */
function deepCollection(document: CST.Document): number | undefined {
  const stack: [CST.Token, number][] = document.value ? [[document.value, 1]] : [];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [token, depth] = next;
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    if (depth > MAX_NESTING) {
      // A block collection's own offset is where its indentation starts; point at its first item.
      const first = token.type === 'flow-collection' ? undefined : token.items[0];
      return first?.start[0]?.offset ?? (first && 'key' in first && first.key ? first.key.offset : token.offset);
    }
    for (const item of token.items) {
      if (item.value) stack.push([item.value, depth + 1]);
      if ('key' in item && item.key) stack.push([item.key, depth + 1]);
    }
  }
  return undefined;
}

/** Nodes that alias uses add: each use counts the expanded size of its anchor (memoized). */
function aliasExpansion(doc: Document): number {
  const sizes = new Map<Node, number>();
  let added = 0;
  const sizeOf = (node: unknown): number => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      const size = target ? sizeOf(target) : 1;
      added += size;
      return size;
    }
    if (!isCollection(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, 1); // an alias inside its own anchor: yaml's toJS reports it
    let size = 1;
    for (const item of node.items) size += isPair(item) ? sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
    sizes.set(node, size);
    return size;
  };
  sizeOf(doc.contents);
  return added;
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
