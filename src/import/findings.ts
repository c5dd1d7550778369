// The import's report: each keepalived setting that was not carried over exactly, at its
// file:line, with why and what to do instead. Dropped settings make the import incomplete.
import type { Finding, FindingKind, SourcePos, Token } from './types.js';

export class Findings {
  readonly list: Finding[] = [];
  /** A parameter expanded a million times reports its problem once, not a million times. */
  private readonly seen = new Set<string>();

  /** Not imported: lvsd has no equivalent. */
  drop(at: Token | SourcePos, keyword: string, message: string): void {
    this.add(at, keyword, 'dropped', message);
  }

  /** Imported as the nearest lvsd setting, which behaves slightly differently. */
  approximate(at: Token | SourcePos, keyword: string, message: string): void {
    this.add(at, keyword, 'approximated', message);
  }

  get complete(): boolean {
    return !this.list.some((f) => f.kind === 'dropped');
  }

  private add(at: Token | SourcePos, keyword: string, kind: FindingKind, message: string): void {
    const pos = 'pos' in at ? at.pos : at;
    const key = `${pos.file}:${pos.line}:${keyword}:${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ pos, keyword, kind, message });
  }
}

/** `file:line: keyword: not imported|approximated: why, what to do instead`. */
export function formatFinding(f: Finding): string {
  const verdict = f.kind === 'dropped' ? 'not imported' : 'approximated';
  return `${f.pos.file}:${f.pos.line}: ${f.keyword}: ${verdict}: ${f.message}`;
}

/** Findings in file and line order (stable for equal positions). */
export function sortFindings(list: readonly Finding[]): Finding[] {
  return [...list].sort((a, b) => (a.pos.file === b.pos.file ? a.pos.line - b.pos.line : a.pos.file < b.pos.file ? -1 : 1));
}
