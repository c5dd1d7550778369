// keepalived.conf's line-level language, applied before any keyword is read (keepalived.conf(5)
// DESCRIPTION and ADVANCED CONFIGURATION): `include` (glob, relative to the including file,
// detected before anything else on the line), `@id` / `@^id` conditional lines, `$NAME=value`
// parameters (multi-line with trailing '\', substituted recursively at use time, `$NAME` before
// whitespace or `${NAME}` anywhere, undefined ones left as written) and the predefined ${_PWD},
// ${_INSTANCE}, ${_HASH}, ${_BANG}. The result is the words of each line with its file:line.
// Every expansion is bounded (files, lines, depth, length), so no input can loop or explode.
import { dirname, isAbsolute, join } from 'node:path';
import type { Findings } from './findings.js';
import type { ImportOptions, SourceFiles, SourcePos, Token } from './types.js';
import { splitWords, stripComment } from './words.js';

const INCLUDE_KEYWORDS = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea']);
/** Bounds that no real configuration reaches; beyond them the rest is reported and skipped. */
export const LIMITS = { files: 256, lines: 1_000_000, depth: 16, lineLength: 65_536, steps: 2_000_000 } as const;

interface Param {
  lines: string[];
  multiline: boolean;
}

interface Context {
  files: SourceFiles;
  options: ImportOptions;
  findings: Findings;
  params: Map<string, Param>;
  /** Files being read, innermost last, to refuse include loops. */
  stack: string[];
  filesRead: number;
  out: Token[][];
  /** Lines processed, expansions included: a multi-line parameter using itself grows exponentially within the depth bound. */
  steps: number;
  truncated: boolean;
}

/** The words of every line of `path` and what it includes, in order. */
export function preprocess(path: string, files: SourceFiles, options: ImportOptions, findings: Findings): Token[][] {
  const ctx: Context = { files, options, findings, params: new Map(), stack: [], filesRead: 0, out: [], steps: 0, truncated: false };
  const text = files.read(path);
  if (text === undefined) {
    findings.drop({ file: options.display(path), line: 1 }, 'file', 'cannot read the file, nothing imported from it');
    return ctx.out;
  }
  readFile(ctx, path, text);
  return ctx.out;
}

function readFile(ctx: Context, path: string, text: string): void {
  ctx.filesRead++;
  ctx.stack.push(path);
  const lines = text.split(/\r?\n/);
  const file = ctx.options.display(path);
  for (let i = 0; i < lines.length && !ctx.truncated; i++) {
    const pos = { file, line: i + 1 };
    let line = stripComment(lines[i] ?? '');
    const definition = /^\s*(@\^?\S+\s+)?\$([A-Za-z_][A-Za-z0-9_]*)=\s*\\\s*$/.exec(line);
    if (definition) {
      // A multi-line parameter: the following lines up to one without a trailing '\'.
      const body: string[] = [];
      while (i + 1 < lines.length) {
        const next = stripComment(lines[++i] ?? '');
        const more = /\\\s*$/.test(next);
        body.push(more ? next.replace(/\\\s*$/, '') : next);
        if (!more) break;
      }
      if (selected(ctx, definition[1]?.trim())) ctx.params.set(definition[2] ?? '', { lines: body, multiline: true });
      continue;
    }
    const words = line.trim().split(/\s+/);
    if (INCLUDE_KEYWORDS.has(words[0] ?? '')) {
      include(ctx, path, pos, words.slice(1).join(' '));
      continue;
    }
    line = line.trim();
    if (line) processLine(ctx, line, pos, 0);
  }
  ctx.stack.pop();
}

function include(ctx: Context, from: string, pos: SourcePos, pattern: string): void {
  if (!pattern) {
    ctx.findings.drop(pos, 'include', 'no file name given, expected include FILENAME');
    return;
  }
  const absolute = isAbsolute(pattern) ? pattern : join(dirname(from), pattern);
  const matches = ctx.files.glob(absolute);
  if (matches.length === 0) ctx.findings.drop(pos, 'include', `no file matches ${pattern}, nothing included`);
  for (const match of matches) {
    if (ctx.stack.includes(match)) {
      ctx.findings.drop(pos, 'include', `${ctx.options.display(match)} is already being read (an include loop), not read again`);
      continue;
    }
    if (ctx.filesRead >= LIMITS.files) {
      ctx.findings.drop(pos, 'include', `more than ${LIMITS.files} files included, the rest is not read`);
      return;
    }
    const text = ctx.files.read(match);
    if (text === undefined) ctx.findings.drop(pos, 'include', `cannot read ${ctx.options.display(match)}`);
    else readFile(ctx, match, text);
  }
}

/** A conditional prefix (`@id`, `@^id`) matches the config id; no prefix always does. */
function selected(ctx: Context, prefix: string | undefined): boolean {
  if (!prefix) return true;
  const negated = prefix.startsWith('@^');
  const id = prefix.slice(negated ? 2 : 1);
  return (id === ctx.options.configId) !== negated;
}

function processLine(ctx: Context, text: string, pos: SourcePos, depth: number): void {
  if (ctx.truncated) return;
  if (++ctx.steps > LIMITS.steps) {
    ctx.findings.drop(pos, '$', `more than ${LIMITS.steps} lines after expanding parameters, the rest is not read`);
    ctx.truncated = true;
    return;
  }
  if (depth > LIMITS.depth) {
    ctx.findings.drop(pos, '$', `parameters nest more than ${LIMITS.depth} deep, the line is skipped`);
    return;
  }
  let line = text.trim();
  const conditional = /^(@\^?\S+)\s*(.*)$/.exec(line);
  if (conditional) {
    if (!selected(ctx, conditional[1])) return;
    line = conditional[2] ?? '';
  }
  if (!line) return;
  const definition = /^\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
  if (definition) {
    ctx.params.set(definition[1] ?? '', { lines: [definition[2] ?? ''], multiline: false });
    return;
  }
  if (line.startsWith('~SEQ') || line.startsWith('~LST')) {
    ctx.findings.drop(pos, line.slice(0, 4), 'sequence and list blocks are not expanded, write the lines they would produce');
    return;
  }
  const whole = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(line);
  const multi = whole ? ctx.params.get(whole[1] ?? '') : undefined;
  if (multi?.multiline) {
    for (const l of multi.lines) processLine(ctx, l, pos, depth + 1);
    return;
  }
  const substituted = substitute(ctx, line, pos);
  if (substituted === undefined) return;
  if (substituted !== line) {
    processLine(ctx, substituted, pos, depth + 1);
    return;
  }
  if (ctx.out.length >= LIMITS.lines) {
    ctx.findings.drop(pos, 'include', `more than ${LIMITS.lines} lines after expansion, the rest is not read`);
    ctx.truncated = true;
    return;
  }
  ctx.out.push(splitWords(line).map((w) => ({ text: w.text, raw: w.raw, pos })));
}

/** One round of parameter substitution (the caller repeats it on a changed line). */
function substitute(ctx: Context, line: string, pos: SourcePos): string | undefined {
  if (!line.includes('$')) return line;
  const value = (name: string): string | undefined => {
    switch (name) {
      case '_PWD': return dirname(ctx.stack.at(-1) ?? '.');
      case '_INSTANCE': return ctx.options.configId;
      case '_HASH': return '#';
      case '_BANG': return '!';
      default: {
        const p = ctx.params.get(name);
        return p === undefined ? undefined : p.lines.join(' ');
      }
    }
  };
  const out = line
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name: string) => value(name) ?? m)
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/g, (m, name: string) => value(name) ?? m);
  if (out.length > LIMITS.lineLength) {
    ctx.findings.drop(pos, '$', `the line grows beyond ${LIMITS.lineLength} characters after substitution, it is skipped`);
    return undefined;
  }
  return out;
}
