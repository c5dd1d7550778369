// keepalived.conf's block structure: a keyword, its arguments up to the end of the line, and
// when a '{' follows (on the same or the next line) a block of statements up to the matching
// '}'. Several statements may share a line (`unicast_peer { 198.18.0.2 }`). Never throws:
// stray or missing braces are reported, and nesting deeper than any real file is skipped.
import type { Findings } from './findings.js';
import type { Statement, Token } from './types.js';

/** keepalived's deepest real nesting is 5 (virtual_server > real_server > HTTP_GET > url > ...). */
export const MAX_DEPTH = 32;

interface Cursor {
  tokens: Token[];
  lineOf: number[];
  i: number;
}

const isOpen = (t: Token | undefined): boolean => t?.raw === '{';
const isClose = (t: Token | undefined): boolean => t?.raw === '}';

export function parseStatements(lines: Token[][], findings: Findings): Statement[] {
  const cursor: Cursor = { tokens: [], lineOf: [], i: 0 };
  lines.forEach((line, n) => {
    for (const t of line) {
      cursor.tokens.push(t);
      cursor.lineOf.push(n);
    }
  });
  return parseBlock(cursor, 0, undefined, findings);
}

function parseBlock(c: Cursor, depth: number, opener: Token | undefined, findings: Findings): Statement[] {
  const statements: Statement[] = [];
  while (c.i < c.tokens.length) {
    const t = c.tokens[c.i] as Token;
    if (isClose(t)) {
      c.i++;
      if (opener) return statements;
      findings.drop(t, '}', 'a closing brace without an opening one, ignored');
      continue;
    }
    if (isOpen(t)) {
      // A block on a line of its own after a statement that had none: it belongs to that statement.
      c.i++;
      const previous = statements.at(-1);
      const block = nested(c, depth, t, findings);
      if (previous && !previous.block) previous.block = block;
      else findings.drop(t, '{', 'a block without a keyword before it, ignored');
      continue;
    }
    const line = c.lineOf[c.i];
    const statement: Statement = { keyword: t, args: [] };
    c.i++;
    while (c.i < c.tokens.length && c.lineOf[c.i] === line && !isOpen(c.tokens[c.i]) && !isClose(c.tokens[c.i])) {
      statement.args.push(c.tokens[c.i] as Token);
      c.i++;
    }
    if (isOpen(c.tokens[c.i])) {
      const open = c.tokens[c.i] as Token;
      c.i++;
      statement.block = nested(c, depth, open, findings);
    }
    statements.push(statement);
  }
  if (opener) findings.drop(opener, '{', 'this block is not closed before the end of the file, expected a matching }');
  return statements;
}

function nested(c: Cursor, depth: number, open: Token, findings: Findings): Statement[] {
  if (depth + 1 < MAX_DEPTH) return parseBlock(c, depth + 1, open, findings);
  findings.drop(open, '{', `blocks nest more than ${MAX_DEPTH} deep, this one is skipped`);
  let level = 1;
  while (c.i < c.tokens.length && level > 0) {
    const t = c.tokens[c.i++];
    if (isOpen(t)) level++;
    else if (isClose(t)) level--;
  }
  return [];
}
