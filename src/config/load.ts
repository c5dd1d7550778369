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
// A file with `nodes:` is loaded as one node's view (nodes.ts), or as every node's view by
// `lvsd check`; each view is a one-node config and is checked as such, its problems located at
// what the operator wrote (the node entry where a value came from there).
import { readFile } from 'node:fs/promises';
import type { CST, Document, LineCounter, Node, YAMLError } from 'yaml';
import * as z from 'zod';
import { sortIssues, formatPath, type ConfigIssue, type ConfigPath } from './issues.js';
import { nodeViews, type NodeChoice, type NodeView } from './nodes.js';
import { sourcePositions, type SourcePositions } from './positions.js';
import { checkConfigRules } from './rules/index.js';
import { configSchema } from './schema.js';
import type { Config, ServiceConfig } from './types.js';
import { yamlLib } from './yaml-lib.js';
import { readYamlSubset } from './yaml-subset.js';
import { zodIssuesToPathIssues, type PathIssue } from './zod-messages.js';

export { formatIssue, type ConfigIssue } from './issues.js';

export { DEFAULT_CONFIG_PATH } from './paths.js';

export type { NodeChoice } from './nodes.js';

/** Every node's view of a file with nodes: (lvsd check); a file without it has one view. */
const EVERY_NODE: NodeChoice = { by: 'all' };

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

/**
 * The same, compiled by zod into a straight-line parser: at 10,000 services about twice as fast
 * as its interpreter, compiling included (test/bench/config-check.mjs). On invalid input the
 * compiled parser hands over to the runtime one, so every message is zod's own (and the file
 * with a problem is reported by checkDocument with the runtime schema anyway). Compiled on first
 * use, so commands that never load a file do not pay for it. The rest of the file is one small
 * object: the runtime schema is cheaper there than compiling the whole tree again.
 */
let compiledServiceSchema: typeof serviceSchema | undefined;

export type LoadResult =
  | { ok: true; config: Config; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };

/** One config per node (node undefined for a file without nodes:). */
export type LoadedViews =
  | { ok: true; views: { node: string | undefined; config: Config }[]; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };

/** What the last load did with the services: validated anew or taken from the load before. */
export interface LoadStats {
  validated: number;
  reused: number;
}

/** Validated services by their content (the JSON of what the YAML said). */
type ServiceCache = Map<string, ServiceConfig>;

/** One node's config: the chosen node of a file with nodes: (a file with several needs a choice). */
export async function loadConfigFile(path: string, choice: NodeChoice = EVERY_NODE): Promise<LoadResult> {
  const text = await readConfigText(path);
  return typeof text === 'string' ? parseConfigText(text, path, choice) : text;
}

export function parseConfigText(text: string, fileName: string, choice: NodeChoice = EVERY_NODE): LoadResult {
  return oneView(parseGuarded(text, fileName, undefined, choice).result, fileName);
}

/** Every view `choice` asks for: with the default, each node of a file with nodes:. */
export async function loadConfigViews(path: string, choice: NodeChoice = EVERY_NODE): Promise<LoadedViews> {
  const text = await readConfigText(path);
  return typeof text === 'string' ? parseConfigViews(text, path, choice) : text;
}

export function parseConfigViews(text: string, fileName: string, choice: NodeChoice = EVERY_NODE): LoadedViews {
  return parseGuarded(text, fileName, undefined, choice).result;
}

function oneView(result: LoadedViews, fileName: string): LoadResult {
  if (!result.ok) return result;
  const [first, ...more] = result.views;
  if (first !== undefined && more.length === 0) return { ok: true, config: first.config, warnings: result.warnings };
  const names = result.views.map((v) => v.node).join(', ');
  const message = `nodes: names several nodes (${names}), expected one chosen with --node NAME or LVSD_NODE`;
  return { ok: false, errors: [{ file: fileName, line: 1, col: 1, message }], warnings: result.warnings };
}

/**
 * Loads a config file again and again (the daemon's reloads): services whose content did not
 * change since the previous successful load are not validated again, their checked result is
 * reused. A service's schema depends on nothing but its own content; the cross-field rules,
 * which relate services to each other and to VRRP, run on the whole config every time.
 * Loaded configs are shared with the next load, so they must not be modified.
 */
export class ConfigLoader {
  private previous: ServiceCache = new Map();
  private stats: LoadStats = { validated: 0, reused: 0 };
  /** The last file that loaded, and what it gave: the same text again costs a comparison. */
  private last: { text: string; fileName: string; choice: string; result: LoadResult } | undefined;

  /** What the last load did with the services. */
  get lastStats(): LoadStats {
    return this.stats;
  }

  async load(path: string, choice: NodeChoice = EVERY_NODE): Promise<LoadResult> {
    const text = await readConfigText(path);
    return typeof text === 'string' ? this.parse(text, path, choice) : text;
  }

  parse(text: string, fileName: string, choice: NodeChoice = EVERY_NODE): LoadResult {
    const chosen = JSON.stringify(choice);
    if (this.last && this.last.text === text && this.last.fileName === fileName && this.last.choice === chosen) {
      this.stats = { validated: 0, reused: this.last.result.ok ? this.last.result.config.services.length : 0 };
      return this.last.result;
    }
    const parsed = parseGuarded(text, fileName, this.previous, choice);
    const result = oneView(parsed.result, fileName);
    this.stats = parsed.stats;
    if (result.ok) {
      this.previous = parsed.services ?? new Map();
      this.last = { text, fileName, choice: chosen, result };
    }
    return result;
  }
}

async function readConfigText(path: string): Promise<string | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] }> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    return { ok: false, errors: [{ file: path, line: 1, col: 1, message: `cannot read the config file (${reason})` }], warnings: [] };
  }
}

interface Parsed {
  result: LoadedViews;
  /** The validated services by content, when the fast path checked them against `previous`. */
  services?: ServiceCache;
  stats: LoadStats;
}

function parseGuarded(text: string, fileName: string, previous: ServiceCache | undefined, choice: NodeChoice): Parsed {
  const stats: LoadStats = { validated: 0, reused: 0 };
  try {
    const fast = readYamlSubset(text, { maxAliasExpansion: MAX_ALIAS_EXPANSION, maxNesting: MAX_NESTING });
    if (fast !== undefined) {
      const services: ServiceCache | undefined = previous && new Map();
      const picked = nodeViews(fast, choice);
      const views = picked.ok ? validateViews(picked.views, previous, services, stats) : undefined;
      if (views !== undefined) {
        const found = views.map(({ view, config }) => ({ view, findings: checkConfigRules(config, (path) => hasInData(fast, view.sourcePath(path))) }));
        if (found.every((f) => f.findings.errors.length === 0)) {
          const warnings = found.every((f) => f.findings.warnings.length === 0) ? [] : locateWarnings(text, fileName, found.map((f) => ({ view: f.view, warnings: f.findings.warnings })));
          if (warnings !== undefined) return { result: { ok: true, views: views.map((v) => ({ node: v.view.node, config: v.config })), warnings }, services, stats };
        }
      }
      // Something to report: found again the `yaml` way, which knows where everything is.
    }
    const result = checkDocument(text, fileName, choice);
    return { result, stats: { validated: result.ok ? (result.views[0]?.config.services.length ?? 0) : 0, reused: 0 } };
  } catch (err) {
    // A bug in a rule must not take down a running daemon that is reloading its config.
    const detail = err instanceof Error ? err.message : String(err);
    return { result: { ok: false, errors: [{ file: fileName, line: 1, col: 1, message: `internal error while checking the config (please report): ${detail}` }], warnings: [] }, stats };
  }
}

/**
 * Each view through the schema. The views of one file share its list of services, which is
 * validated once for all of them.
 */
function validateViews(views: NodeView[], previous: ServiceCache | undefined, next: ServiceCache | undefined, stats: LoadStats): { view: NodeView; config: Config }[] | undefined {
  const out: { view: NodeView; config: Config }[] = [];
  let shared: { raw: unknown; checked: ServiceConfig[] } | undefined;
  for (const view of views) {
    const data = view.data as Record<string, unknown>;
    const raw = Object.hasOwn(data, 'services') ? data.services : [];
    if (!Array.isArray(raw)) return undefined;
    const top = configSchema.safeParse({ ...data, services: [] });
    if (!top.success) return undefined;
    if (shared?.raw !== raw) {
      const checked = validateServices(raw, previous, next, stats);
      if (checked === undefined) return undefined;
      shared = { raw, checked };
    }
    top.data.services = shared.checked;
    out.push({ view, config: top.data });
  }
  return out;
}

/**
 * The services, one by one so that services validated by the previous load (`previous`, keyed
 * by their content) can be skipped; `next` collects this load's. Undefined when anything is
 * wrong: the caller then validates the whole file to report it.
 */
function validateServices(services: unknown[], previous: ServiceCache | undefined, next: ServiceCache | undefined, stats: LoadStats): ServiceConfig[] | undefined {
  const schema = (compiledServiceSchema ??= z.compile(serviceSchema));
  const checked: ServiceConfig[] = [];
  for (const raw of services) {
    const key = next ? JSON.stringify(raw) : '';
    let service = next && (previous?.get(key) ?? next.get(key));
    if (service !== undefined) {
      stats.reused++;
    } else {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) return undefined;
      service = parsed.data;
      stats.validated++;
    }
    next?.set(key, service);
    checked.push(service);
  }
  return checked;
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

/**
 * Where the warnings of a file that loaded are, from its `yaml` Document (parsed only now);
 * undefined if yaml has anything to say about the file itself (then the whole file goes its way).
 */
function locateWarnings(text: string, fileName: string, found: { view: NodeView; warnings: PathIssue[] }[]): ConfigIssue[] | undefined {
  const read = readDocument(text);
  if (read.tooDeep !== undefined || read.doc.errors.length > 0 || read.doc.warnings.length > 0) return undefined;
  const positions = sourcePositions(read.doc, read.lines);
  return sortIssues(acrossViews(found.map(({ view, warnings }) => warnings.map(locator(positions, fileName, view)))));
}

/**
 * The problems of several views of one file: one found in every view is in the shared part and
 * is reported once, without a node; the others name their node.
 */
function acrossViews(perView: ConfigIssue[][]): ConfigIssue[] {
  if (perView.length === 1) return dedupe(perView[0] ?? []);
  const key = (i: ConfigIssue): string => `${i.line}:${i.col}:${i.message}`;
  const views = new Map<string, number>();
  for (const issues of perView) for (const k of new Set(issues.map(key))) views.set(k, (views.get(k) ?? 0) + 1);
  const everywhere = (i: ConfigIssue): boolean => views.get(key(i)) === perView.length;
  const shared = dedupe(perView.flat().filter(everywhere).map(({ node: _node, ...issue }) => issue));
  return [...shared, ...perView.flatMap((issues) => dedupe(issues.filter((i) => !everywhere(i))))];
}

/** The whole file through the `yaml` Document: every syntax error, every position. */
function checkDocument(text: string, fileName: string, choice: NodeChoice): LoadedViews {
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
  if (data === null || data === undefined) {
    return { ok: false, errors: [{ file: fileName, line: 1, col: 1, message: 'the file is empty, expected a mapping with at least node: { name: ... }' }], warnings: yamlWarnings };
  }
  const picked = nodeViews(data, choice);
  if (!picked.ok) return { ok: false, errors: sortIssues(dedupe(picked.issues.map(locator(positions, fileName)))), warnings: yamlWarnings };
  const checked = picked.views.map((view) => checkView(view, positions, fileName));
  const warnings = sortIssues([...yamlWarnings, ...acrossViews(checked.map((c) => c.warnings))]);
  const errors = acrossViews(checked.map((c) => c.errors));
  if (errors.length > 0) return { ok: false, errors: sortIssues(errors), warnings };
  return { ok: true, views: checked.map((c) => ({ node: c.view.node, config: c.config as Config })), warnings };
}

/** One view through the schema and the rules, its problems located in the file. */
function checkView(view: NodeView, positions: SourcePositions, fileName: string): { view: NodeView; config?: Config; errors: ConfigIssue[]; warnings: ConfigIssue[] } {
  const locate = locator(positions, fileName, view);
  const parsed = configSchema.safeParse(view.data);
  if (!parsed.success) return { view, errors: zodIssuesToPathIssues(parsed.error.issues, view.data, configSchema).map(locate), warnings: [] };
  const findings = checkConfigRules(parsed.data, (path) => positions.has(view.sourcePath(path)));
  return { view, config: parsed.data, errors: findings.errors.map(locate), warnings: findings.warnings.map(locate) };
}

/** Places an issue of `view` (a path in the view) in the file, naming the node of a nodes: file. */
function locator(positions: SourcePositions, fileName: string, view?: NodeView): (issue: PathIssue) => ConfigIssue {
  const source = view?.sourcePath ?? ((path: ConfigPath) => path);
  const node = view?.node !== undefined ? { node: view.node } : {};
  return (issue) => {
    const path = source(issue.path);
    const at = issue.locate ? positions.locate(source(issue.locate.path), { key: issue.locate.key }) : positions.locate(path);
    const where = path.length > 0 ? `${formatPath(path)}: ` : '';
    return { file: fileName, ...at, message: `${where}${issue.message}`, ...node };
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
  const { Composer, LineCounter, Parser, YAMLParseError } = yamlLib();
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

/**
 * Nodes that alias uses add: each use counts the expanded size of its anchor (memoized). One
 * walk in document order, so an alias meets the last anchor of its name before it, as in YAML
 * (yaml's Alias.resolve() searches the whole document on each call: quadratic at 10,000 aliases).
 */
function aliasExpansion(doc: Document): number {
  const { isAlias, isCollection, isPair, isNode } = yamlLib();
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  let added = 0;
  const sizeOf = (node: unknown): number => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      const size = target ? sizeOf(target) : 1;
      added += size;
      return size;
    }
    if (!isNode(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, 1); // an alias inside its own anchor: yaml's toJS reports it
    let size = 1;
    if (isCollection(node)) {
      for (const item of node.items) size += isPair(item) ? sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
    }
    sizes.set(node, size);
    if (node.anchor) anchors.set(node.anchor, node);
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
    const key = `${i.node ?? ''}:${i.line}:${i.col}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
