// What every mapper shares: the findings, the source comment of each produced block, and
// readers for keepalived's value syntax (<BOOL>, <TIMER> seconds, integers) that report a bad
// value instead of throwing.
import { formatDuration } from '../config/duration.js';
import type { Findings } from './findings.js';
import type { SourcePos, Statement, Token } from './types.js';

/** A block of the YAML being built (a mapping). */
export type Block = Record<string, unknown>;

export class MapContext {
  /** The source file:line and keepalived keyword written as a comment above each block. */
  readonly origins = new Map<object, string>();
  /** The same place as a position, for findings about a block as a whole (fold-nodes.ts). */
  readonly positions = new Map<object, SourcePos>();

  /** The top-level SSL block's client certificate and key, for every SSL_GET (map-checks.ts). */
  sslClient: Block = {};

  constructor(readonly findings: Findings) {}

  /** Records that `block` comes from `statement`, for the comment above it in the YAML. */
  from<T extends object>(block: T, statement: Statement): T {
    const k = statement.keyword;
    const name = statement.args.map((a) => a.text).join(' ');
    this.origins.set(block, `${k.pos.file}:${k.pos.line} ${k.text}${name ? ` ${name}` : ''}`);
    this.positions.set(block, k.pos);
    return block;
  }

  /** The statement's only argument, or a finding and undefined. */
  arg(s: Statement, what: string): Token | undefined {
    const a = s.args[0];
    if (a === undefined) this.findings.drop(s.keyword, s.keyword.text, `no value given, expected ${what}`);
    return a;
  }

  int(s: Statement, min: number, max: number, token = s.args[0]): number | undefined {
    if (token === undefined) {
      this.findings.drop(s.keyword, s.keyword.text, `no value given, expected an integer ${min}-${max}`);
      return undefined;
    }
    const n = /^-?\d{1,10}$/.test(token.text) ? Number(token.text) : NaN;
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    this.findings.drop(token, s.keyword.text, `"${token.text}" is not an integer ${min}-${max}, expected one`);
    return undefined;
  }

  /** keepalived <TIMER>: seconds with an optional fraction, returned as whole milliseconds. */
  seconds(s: Statement, maxMs: number, token = s.args[0]): number | undefined {
    if (token === undefined) {
      this.findings.drop(s.keyword, s.keyword.text, 'no value given, expected seconds');
      return undefined;
    }
    const ms = /^\d{1,9}(\.\d{1,6})?$/.test(token.text) ? Math.round(Number(token.text) * 1000) : NaN;
    if (Number.isFinite(ms) && ms <= maxMs) return ms;
    this.findings.drop(token, s.keyword.text, `"${token.text}" is not a number of seconds up to ${formatDuration(maxMs)}, expected one`);
    return undefined;
  }

  /** keepalived <BOOL> where the keyword alone means true. */
  bool(s: Statement): boolean | undefined {
    const v = s.args[0]?.text.toLowerCase();
    if (v === undefined || ['on', 'true', 'yes'].includes(v)) return true;
    if (['off', 'false', 'no'].includes(v)) return false;
    this.findings.drop(s.args[0] as Token, s.keyword.text, `"${v}" is not a boolean, expected on|off|true|false|yes|no`);
    return undefined;
  }

  /** Reports a keyword lvsd has no equivalent for. */
  unsupported(s: Statement, why: string): void {
    this.findings.drop(s.keyword, s.keyword.text, why);
  }
}

export const duration = (ms: number): string => formatDuration(ms);

/** A name lvsd accepts (letters, digits, '.', '_', '-'; 64 at most; starting with a letter or digit). */
export function lvsdName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return cleaned || 'unnamed';
}

/** Gives each statement to the handler of its keyword; the rest go to `other`. */
export function dispatch(block: readonly Statement[] | undefined, handlers: Record<string, (s: Statement) => void>, other: (s: Statement) => void): void {
  for (const s of block ?? []) {
    const handler = Object.hasOwn(handlers, s.keyword.text) ? handlers[s.keyword.text] : undefined;
    if (handler) handler(s);
    else other(s);
  }
}
