// Splitting one keepalived.conf line into words, as keepalived.conf(5) "Quoted strings"
// describes: whitespace separates words, '"' and '\'' quote (the quotes are removed, the
// whitespace between them kept), shell-like escapes inside quotes, '{' and '}' outside quotes
// are words of their own (except in an undefined ${NAME}, which stays as written). Comments ('#' or '!' outside quotes) are cut before substitution, so
// that ${_HASH} and ${_BANG} can produce those characters.

/** The line up to its comment, if any. */
export function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' || c === '!') {
      return line.slice(0, i);
    }
  }
  return line;
}

export interface Word {
  text: string;
  raw: string;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Resolves one escape at s[i] (just after the backslash); returns the text and the next index. */
function escapeAt(s: string, i: number): [string, number] {
  const c = s[i];
  if (c === undefined) return ['\\', i];
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return [simple, i + 1];
  if (c >= '0' && c <= '7') {
    const m = /^[0-7]{1,3}/.exec(s.slice(i)) ?? ['0'];
    return [String.fromCharCode(parseInt(m[0], 8) & 0xff), i + m[0].length];
  }
  if (c === 'x') {
    const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 1));
    return m ? [String.fromCharCode(parseInt(m[0], 16)), i + 1 + m[0].length] : ['x', i + 1];
  }
  if (c === 'c' && i + 1 < s.length) return [String.fromCharCode(s.charCodeAt(i + 1) & 0x1f), i + 2];
  return [c, i + 1];
}

export function splitWords(line: string): Word[] {
  const words: Word[] = [];
  let text = '';
  let raw = '';
  let inWord = false;
  const end = () => {
    if (inWord) words.push({ text, raw });
    text = '';
    raw = '';
    inWord = false;
  };
  for (let i = 0; i < line.length; ) {
    const c = line[i] ?? '';
    const reference = c === '$' && line[i + 1] === '{' ? /^\$\{[A-Za-z_][A-Za-z0-9_]*\}/.exec(line.slice(i)) : null;
    if (/\s/.test(c)) {
      end();
      i++;
    } else if (reference) {
      // An undefined ${NAME} stays in the text as written; its braces are not a block.
      inWord = true;
      text += reference[0];
      raw += reference[0];
      i += reference[0].length;
    } else if (c === '{' || c === '}') {
      end();
      words.push({ text: c, raw: c });
      i++;
    } else if (c === '"' || c === "'") {
      inWord = true;
      let j = i + 1;
      while (j < line.length && line[j] !== c) {
        if (line[j] === '\\') {
          const [t, next] = escapeAt(line, j + 1);
          text += t;
          j = next;
        } else {
          text += line[j];
          j++;
        }
      }
      raw += line.slice(i, Math.min(j + 1, line.length));
      i = j + 1;
    } else {
      inWord = true;
      text += c;
      raw += c;
      i++;
    }
  }
  end();
  return words;
}

/**
 * A script command line as keepalived runs it (no shell): unquoted whitespace separates the
 * arguments, single quotes keep spaces in one argument. `raw` is the words as written after the
 * keyword; a double-quoted string is one command line, split like the rest.
 */
export function commandArgv(raw: readonly string[]): string[] {
  const line = raw.map((r) => (r.length >= 2 && r.startsWith('"') && r.endsWith('"') ? r.slice(1, -1) : r)).join(' ');
  const out: string[] = [];
  let arg = '';
  let inArg = false;
  let quoted = false;
  for (const c of line) {
    if (c === "'") {
      quoted = !quoted;
      inArg = true;
    } else if (!quoted && /\s/.test(c)) {
      if (inArg) out.push(arg);
      arg = '';
      inArg = false;
    } else {
      arg += c;
      inArg = true;
    }
  }
  if (inArg) out.push(arg);
  return out;
}
