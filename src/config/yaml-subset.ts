// A fast reader for the plain subset of YAML that lvsd configs are written in: block mappings
// and sequences, one-line flow collections, plain and simple quoted scalars, comments, anchors
// and aliases. It turns text straight into the JS values `yaml`'s toJS() would give, without
// building a CST or Document: on 10,000 services the `yaml` package spends ~4 s and ~800 MB in
// its parser and document model (measured; see test/bench/config-check.mjs), this reader well
// under a tenth of a second.
//
// It never reports errors. Anything outside the subset, or anything doubtful (tabs, block
// scalars, tags, merge keys, duplicate keys, multi-line scalars, escapes, deep nesting, alias
// expansion beyond the limit, ...), makes it give up and return undefined; the loader then reads
// the file with `yaml`, which accepts all of YAML and reports each problem at file:line:col.
// test/unit/config/yaml-subset.test.ts checks that whatever it accepts equals yaml's toJS().

/** A reason to hand the text to the `yaml` package instead. */
class NotInSubset extends Error {}
const giveUp = (): never => {
  throw new NotInSubset();
};

// Characters that make a file go the long way round: tabs and carriage returns (indentation
// rules), control characters and the BOM (yaml reports them), the unicode line separators.
// eslint-disable-next-line no-control-regex
const UNSUPPORTED_CHARS = /[\u0000-\u0009\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/;
/** Keys the subset accepts: identifiers that resolve to strings in the YAML core schema. */
const KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const NON_STRING_KEY = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|__proto__)$/;
/**
 * Keys already found acceptable, by length and first character. A config repeats a few dozen
 * keys hundreds of thousands of times: comparing one in place spares cutting a new string out of
 * the text, checking it and hashing it as a property name each time. Bounded: a key is at most
 * 128 characters and starts with one of 53.
 */
const knownKeys = new Map<number, string>();

/** The key text[start, end), or give up when it is not a plain identifier-like string key. */
function keyAt(text: string, start: number, end: number): string {
  const slot = (end - start) * 0x10000 + text.charCodeAt(start);
  const known = knownKeys.get(slot);
  if (known !== undefined && text.startsWith(known, start)) return known;
  const key = text.slice(start, end);
  if (!KEY.test(key) || NON_STRING_KEY.test(key)) giveUp();
  knownKeys.set(slot, key);
  return key;
}

/** Characters that cannot start a plain scalar in the subset (tags, block scalars, reserved, stray flow ends). */
const NOT_PLAIN_START = '!|>%@`]},';
// YAML 1.2 core schema resolution of plain scalars (as the `yaml` package's core schema does).
const NULL = /^(?:~|[Nn]ull|NULL)$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
/** Floats, octal, hex, .inf and .nan: valid, but rare enough in a config to leave to `yaml`. */
const OTHER_NUMBER = /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

const SPACE = 0x20;
const NL = 0x0a;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;
const COMMA = 0x2c;

export interface SubsetLimits {
  /** Total nodes that alias uses may add (each use counts the anchored subtree's full size). */
  maxAliasExpansion: number;
  /** Deeper nesting is left to the `yaml` path (which refuses it with a position). */
  maxNesting: number;
}

/**
 * The document's value as `yaml`'s toJS() would give it, or undefined when the text is not in
 * the subset (the caller then uses `yaml`). The top level must be a block mapping.
 */
export function readYamlSubset(text: string, limits: SubsetLimits): Record<string, unknown> | undefined {
  if (UNSUPPORTED_CHARS.test(text)) return undefined;
  try {
    return new Reader(text, limits).document();
  } catch (err) {
    if (err instanceof NotInSubset || err instanceof RangeError) return undefined;
    throw err;
  }
}

class Reader {
  private pos = 0;
  /** Indent of the line `pos` is on (its first content character); -1 at the end, -2 before the start. */
  private indent = -2;
  private readonly anchors = new Map<string, unknown>();
  private readonly sizes = new WeakMap<object, number>();
  private expanded = 0;

  constructor(
    private readonly text: string,
    private readonly limits: SubsetLimits,
  ) {}

  document(): Record<string, unknown> {
    this.nextLine(0);
    if (this.text.startsWith('---', this.pos) && this.indent === 0) {
      this.pos += 3;
      this.endOfLine();
    }
    if (this.indent !== 0 || !this.keyAhead()) giveUp();
    const value = this.blockMap(0, 1);
    if (this.indent !== -1) giveUp();
    return value;
  }

  /** Moves `pos` from `from` to the first content character of the next non-blank, non-comment line. */
  private nextLine(from: number): void {
    const { text } = this;
    let p = from;
    for (;;) {
      const lineStart = p;
      while (text.charCodeAt(p) === SPACE) p++;
      if (p >= text.length) {
        this.pos = p;
        this.indent = -1;
        return;
      }
      const c = text.charCodeAt(p);
      if (c === NL) {
        p++;
        continue;
      }
      if (c === HASH) {
        const nl = text.indexOf('\n', p);
        if (nl === -1) {
          this.pos = text.length;
          this.indent = -1;
          return;
        }
        p = nl + 1;
        continue;
      }
      // Document markers and directives are not part of the subset, except a first `---`.
      if (p === lineStart && (c === 0x25 || ((c === DASH || c === 0x2e) && /^(?:---|\.\.\.)(?:[ \n]|$)/.test(text.slice(p, p + 4))))) {
        if (this.indent !== -2 || c !== DASH) giveUp();
      }
      this.pos = p;
      this.indent = p - lineStart;
      return;
    }
  }

  /** After a value: only spaces and a comment may follow on the line. */
  private endOfLine(): void {
    const { text } = this;
    let p = this.pos;
    const start = p;
    while (text.charCodeAt(p) === SPACE) p++;
    if (p < text.length && text.charCodeAt(p) !== NL) {
      if (text.charCodeAt(p) !== HASH || p === start) giveUp();
    }
    this.nextLine(p);
  }

  /** Whether a `key:` (plain key, then ': ' or ':' at the end of the line) starts at `pos`. */
  private keyAhead(): boolean {
    const { text } = this;
    let p = this.pos;
    while (p < text.length) {
      const c = text.charCodeAt(p);
      if (c === COLON || c === SPACE || c === NL || c === HASH || c === COMMA) break;
      p++;
    }
    if (text.charCodeAt(p) !== COLON) return false;
    const after = text.charCodeAt(p + 1);
    return after === SPACE || after === NL || p + 1 >= text.length;
  }

  /** Reads `key:` at `pos`, leaving `pos` after the colon. */
  private key(): string {
    const { text } = this;
    const start = this.pos;
    const colon = text.indexOf(':', start);
    const key = keyAt(text, start, colon);
    const after = text.charCodeAt(colon + 1);
    if (!(after === SPACE || after === NL || colon + 1 >= text.length)) giveUp();
    this.pos = colon + 1;
    return key;
  }

  /** A block mapping whose keys sit at column `indent`; `pos` is at its first key. */
  private blockMap(indent: number, depth: number): Record<string, unknown> {
    if (depth > this.limits.maxNesting) giveUp();
    const map: Record<string, unknown> = {};
    for (;;) {
      const key = this.key();
      if (Object.hasOwn(map, key)) giveUp();
      map[key] = this.valueAfterIndicator(indent, depth, true);
      if (this.indent < indent) return map;
      if (this.indent > indent || !this.keyAhead()) giveUp();
    }
  }

  /** A block sequence whose dashes sit at column `indent`; `pos` is at its first dash. */
  private blockSeq(indent: number, depth: number): unknown[] {
    if (depth > this.limits.maxNesting) giveUp();
    const seq: unknown[] = [];
    for (;;) {
      this.pos++; // the dash
      seq.push(this.valueAfterIndicator(indent, depth, false));
      if (this.indent < indent || (this.indent === indent && !this.dashAhead())) return seq;
      if (this.indent > indent) giveUp();
    }
  }

  private dashAhead(): boolean {
    const next = this.text.charCodeAt(this.pos + 1);
    return this.text.charCodeAt(this.pos) === DASH && (next === SPACE || next === NL || this.pos + 1 >= this.text.length);
  }

  /**
   * The value after `key:` (inMap) or `-`, inline or as a nested block on the following lines.
   * `indent` is the column of the key or dash. Leaves `pos` on the next content line.
   */
  private valueAfterIndicator(indent: number, depth: number, inMap: boolean): unknown {
    const { text } = this;
    let p = this.pos;
    while (text.charCodeAt(p) === SPACE) p++;
    if (p === this.pos && p < text.length && text.charCodeAt(p) !== NL) giveUp();
    this.pos = p;
    let anchor: string | undefined;
    if (text.charCodeAt(p) === 0x26) {
      anchor = this.anchorName();
      p = this.pos;
    }
    const c = text.charCodeAt(p);
    if (anchor !== undefined && c === 0x2a) giveUp(); // an anchor on an alias
    let value: unknown;
    if (p >= text.length || c === NL || c === HASH) {
      // Nothing on this line: a nested block follows, or the value is empty (null).
      this.endOfLine();
      if (this.indent > indent) value = this.block(depth + 1);
      else if (inMap && this.indent === indent && this.dashAhead()) value = this.blockSeq(indent, depth + 1);
      else value = null;
    } else if (!inMap && this.keyAhead()) {
      // `- key: value`: a mapping whose keys line up with this first one.
      if (anchor !== undefined) giveUp();
      value = this.blockMap(p - this.lineStart(p), depth + 1);
    } else {
      value = this.flowValue(depth + 1, false);
      this.endOfLine();
    }
    if (anchor !== undefined) this.anchors.set(anchor, value);
    return value;
  }

  private lineStart(p: number): number {
    return this.text.lastIndexOf('\n', p - 1) + 1;
  }

  /** A nested block collection starting at `pos`. */
  private block(depth: number): unknown {
    const indent = this.indent;
    if (this.dashAhead()) return this.blockSeq(indent, depth);
    if (this.keyAhead()) return this.blockMap(indent, depth);
    return giveUp();
  }

  /** `&name` at `pos`; leaves `pos` after the spaces that must follow it. */
  private anchorName(): string {
    const { text } = this;
    const start = this.pos + 1;
    let p = start;
    while (p < text.length) {
      const c = text.charCodeAt(p);
      if (c === SPACE || c === NL || c === COMMA || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d) break;
      p++;
    }
    if (p === start) giveUp();
    const name = text.slice(start, p);
    const spaceStart = p;
    while (text.charCodeAt(p) === SPACE) p++;
    if (p === spaceStart && p < text.length && text.charCodeAt(p) !== NL) giveUp();
    this.pos = p;
    return name;
  }

  /** A value on the current line: scalar, alias or flow collection. `inFlow` inside [ ] or { }. */
  private flowValue(depth: number, inFlow: boolean): unknown {
    if (depth > this.limits.maxNesting) giveUp();
    const { text } = this;
    const c = text.charCodeAt(this.pos);
    switch (c) {
      case 0x5b: // [
        return this.flowSeq(depth);
      case 0x7b: // {
        return this.flowMap(depth);
      case 0x2a: // * alias
        return this.alias(inFlow);
      case 0x26: { // & anchor inside a flow collection
        if (!inFlow) giveUp();
        const name = this.anchorName();
        if (text.charCodeAt(this.pos) === 0x2a) giveUp();
        const value = this.flowValue(depth, inFlow);
        this.anchors.set(name, value);
        return value;
      }
      case 0x27: // '
        return this.singleQuoted();
      case 0x22: // "
        return this.doubleQuoted();
      default:
        return this.plain(inFlow);
    }
  }

  private flowSeq(depth: number): unknown[] {
    const { text } = this;
    const seq: unknown[] = [];
    this.pos++;
    for (;;) {
      this.skipFlowSpaces();
      if (text.charCodeAt(this.pos) === 0x5d) break;
      seq.push(this.flowValue(depth + 1, true));
      this.skipFlowSpaces();
      const c = text.charCodeAt(this.pos);
      if (c === 0x5d) break;
      if (c !== COMMA) giveUp();
      this.pos++;
    }
    this.pos++;
    return seq;
  }

  private flowMap(depth: number): Record<string, unknown> {
    const { text } = this;
    const map: Record<string, unknown> = {};
    this.pos++;
    for (;;) {
      this.skipFlowSpaces();
      if (text.charCodeAt(this.pos) === 0x7d) break;
      const colon = text.indexOf(':', this.pos);
      if (colon === -1) giveUp();
      const key = keyAt(text, this.pos, colon);
      if (Object.hasOwn(map, key)) giveUp();
      if (text.charCodeAt(colon + 1) !== SPACE) giveUp();
      this.pos = colon + 1;
      this.skipFlowSpaces();
      const first = text.charCodeAt(this.pos);
      if (first === COMMA || first === 0x7d) giveUp();
      map[key] = this.flowValue(depth + 1, true);
      this.skipFlowSpaces();
      const c = text.charCodeAt(this.pos);
      if (c === 0x7d) break;
      if (c !== COMMA) giveUp();
      this.pos++;
    }
    this.pos++;
    return map;
  }

  /** Spaces inside a flow collection; a collection that runs on to the next line is not in the subset. */
  private skipFlowSpaces(): void {
    const { text } = this;
    while (text.charCodeAt(this.pos) === SPACE) this.pos++;
    if (this.pos >= text.length || text.charCodeAt(this.pos) === NL || text.charCodeAt(this.pos) === HASH) giveUp();
  }

  private alias(inFlow: boolean): unknown {
    const { text } = this;
    const start = this.pos + 1;
    let p = start;
    while (p < text.length) {
      const c = text.charCodeAt(p);
      if (c === SPACE || c === NL || c === COMMA || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d) break;
      p++;
    }
    const name = text.slice(start, p);
    if (name === '' || !this.anchors.has(name)) giveUp();
    if (!inFlow && p < text.length && text.charCodeAt(p) !== NL && text.charCodeAt(p) !== SPACE) giveUp();
    this.pos = p;
    const value = this.anchors.get(name);
    this.expanded += this.sizeOf(value);
    if (this.expanded > this.limits.maxAliasExpansion) giveUp();
    return value;
  }

  /** Node count of a value, aliases counted in full (memoized, so shared subtrees cost once). */
  private sizeOf(value: unknown): number {
    if (value === null || typeof value !== 'object') return 1;
    const known = this.sizes.get(value);
    if (known !== undefined) return known;
    let size = 1;
    for (const item of Array.isArray(value) ? value : Object.values(value)) size += this.sizeOf(item);
    this.sizes.set(value, size);
    return size;
  }

  private singleQuoted(): string {
    const { text } = this;
    let out = '';
    let p = this.pos + 1;
    for (;;) {
      const end = text.indexOf("'", p);
      const nl = text.indexOf('\n', p);
      if (end === -1 || (nl !== -1 && nl < end)) giveUp();
      out += text.slice(p, end);
      if (text.charCodeAt(end + 1) === 0x27) {
        out += "'";
        p = end + 2;
        continue;
      }
      this.pos = end + 1;
      return out;
    }
  }

  private doubleQuoted(): string {
    const { text } = this;
    let p = this.pos + 1;
    let out = '';
    for (;;) {
      const quote = text.indexOf('"', p);
      const escape = text.indexOf('\\', p);
      const nl = text.indexOf('\n', p);
      if (quote === -1 || (nl !== -1 && nl < quote)) giveUp();
      if (escape === -1 || escape > quote) {
        out += text.slice(p, quote);
        this.pos = quote + 1;
        return out;
      }
      out += text.slice(p, escape);
      const [decoded, length] = unescape(text, escape + 1);
      out += decoded;
      p = escape + 1 + length;
    }
  }

  /** A plain scalar on the current line, resolved by the core schema. */
  private plain(inFlow: boolean): unknown {
    const { text } = this;
    const start = this.pos;
    const first = text.charCodeAt(start);
    // Indicators that cannot start a plain scalar in the subset: - ? : followed by a space,
    // and ! | > % @ ` ] } , (tags, block scalars, directives, reserved, stray flow ends).
    if (first !== first || NOT_PLAIN_START.includes(String.fromCharCode(first))) giveUp();
    if (first === DASH || first === 0x3f || first === COLON) {
      const next = text.charCodeAt(start + 1);
      if (next !== next || next === SPACE || next === NL || next === COMMA) giveUp();
    }
    let p = start;
    let end = start;
    while (p < text.length) {
      const c = text.charCodeAt(p);
      if (c === NL) break;
      if (c === HASH && text.charCodeAt(p - 1) === SPACE) break;
      if (c === COLON) {
        const next = text.charCodeAt(p + 1);
        if (next === SPACE || next === NL || p + 1 >= text.length || (inFlow && (next === COMMA || next === 0x5d || next === 0x7d || next === 0x5b || next === 0x7b))) giveUp();
      }
      if (inFlow && (c === COMMA || c === 0x5d || c === 0x7d || c === 0x5b || c === 0x7b)) break;
      p++;
      if (c !== SPACE) end = p;
    }
    this.pos = end;
    const raw = text.slice(start, end);
    if (raw === '') giveUp();
    return resolvePlain(raw);
  }
}

function resolvePlain(raw: string): unknown {
  const c = raw.charCodeAt(0);
  // Only scalars starting with one of - + . ~ 0-9 n N t T f F can be anything but a string.
  if (c >= 0x30 && c <= 0x39) {
    if (isDecimal(raw, 0)) return parseInt(raw, 10);
    // Dotted quads and the like: strings, as long as they are no other kind of number.
    if (OTHER_NUMBER.test(raw)) giveUp();
    return raw;
  }
  if (c === 0x2d || c === 0x2b) {
    if (raw.length > 1 && isDecimal(raw, 1)) return parseInt(raw, 10);
  } else if (!(c === 0x2e || c === 0x7e || c === 0x6e || c === 0x4e || c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46)) {
    return raw;
  }
  if (NULL.test(raw)) return null;
  if (BOOL.test(raw)) return raw[0] === 't' || raw[0] === 'T';
  if (INT.test(raw)) return parseInt(raw, 10);
  if (OTHER_NUMBER.test(raw)) giveUp();
  return raw;
}

/** Whether raw[from..] is all ASCII digits (and not empty). */
function isDecimal(raw: string, from: number): boolean {
  for (let i = from; i < raw.length; i++) {
    const d = raw.charCodeAt(i);
    if (d < 0x30 || d > 0x39) return false;
  }
  return raw.length > from;
}

/** The single-character escapes of YAML 1.2 double-quoted scalars (sec. 5.7). */
const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ',
  '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
};
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

/** The escape whose letter is at `at`: its text and how many characters it took after the backslash. */
function unescape(text: string, at: number): [string, number] {
  const letter = text[at] ?? '';
  const simple = ESCAPES[letter];
  if (simple !== undefined) return [simple, 1];
  const digits = HEX_LENGTH[letter];
  if (digits === undefined) return giveUp();
  const hex = text.slice(at + 1, at + 1 + digits);
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) giveUp();
  const code = parseInt(hex, 16);
  if (code > 0x10ffff) giveUp();
  return [String.fromCodePoint(code), 1 + digits];
}
