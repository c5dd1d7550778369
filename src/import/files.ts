// The importer's window on the file system: reading files and expanding include patterns
// (glob(7) wildcards * ? [...] per path component, and csh-style braces {a,b} as keepalived's
// glob() with GLOB_BRACE accepts them), in glob()'s order.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { SourceFiles } from './types.js';

/** Brace alternatives a pattern may expand to before it is refused as unreasonable. */
const MAX_BRACE_EXPANSIONS = 1024;

export const fileSystem: SourceFiles = {
  read(path) {
    try {
      if (!statSync(path).isFile()) return undefined;
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  glob(pattern) {
    // Like glob() with GLOB_BRACE: each alternative in turn, the matches of each one sorted.
    const out = new Set<string>();
    for (const p of expandBraces(pattern)) for (const m of matchPath(p).sort()) out.add(m);
    return [...out];
  },
};

/** "{a,b}c" -> ["ac", "bc"], nested braces included, at most MAX_BRACE_EXPANSIONS results. */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < pattern.length && close < 0; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) close = i;
    else if (c === ',' && depth === 1) commas.push(i);
  }
  if (close < 0) return [pattern];
  const bounds = [open, ...commas, close];
  const out: string[] = [];
  for (let i = 0; i + 1 < bounds.length && out.length < MAX_BRACE_EXPANSIONS; i++) {
    const choice = pattern.slice((bounds[i] ?? 0) + 1, bounds[i + 1]);
    for (const e of expandBraces(pattern.slice(0, open) + choice + pattern.slice(close + 1))) {
      if (out.length < MAX_BRACE_EXPANSIONS) out.push(e);
    }
  }
  return out;
}

/** glob(7) matching of one absolute pattern without braces. */
function matchPath(pattern: string): string[] {
  const parts = pattern.split(sep).filter((p) => p !== '');
  let current: string[] = [sep];
  for (const part of parts) {
    const next: string[] = [];
    const wild = /[*?[]/.test(part);
    for (const dir of current) {
      if (!wild) {
        next.push(join(dir, part));
        continue;
      }
      const re = segmentRegex(part);
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) if (re.test(name) && (part.startsWith('.') || !name.startsWith('.'))) next.push(join(dir, name));
    }
    current = next;
    if (current.length === 0) return [];
  }
  return current.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

function segmentRegex(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] ?? '';
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = part.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = part.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`);
  } catch {
    // A malformed class such as [z-a] matches nothing in glob(); nothing here either.
    return /(?!)/;
  }
}
