// Types of the keepalived importer: source positions, tokens, the statement tree the parser
// builds, and the findings reported for everything the import could not carry over exactly.

/** Where a token came from: the file (as displayed to the operator) and its 1-based line. */
export interface SourcePos {
  file: string;
  line: number;
}

/** One word of keepalived.conf after comments, conditionals and $VARIABLES were handled. */
export interface Token {
  /** The word with quotes removed and escapes resolved. */
  text: string;
  /** The word as written (quotes kept), for script command lines that split on single quotes. */
  raw: string;
  pos: SourcePos;
}

/** A keyword with its arguments on the same line and, when followed by `{ ... }`, its block. */
export interface Statement {
  keyword: Token;
  args: Token[];
  block?: Statement[];
}

/**
 * `dropped`: the setting has no lvsd equivalent and was left out (exit 1).
 * `approximated`: mapped to the nearest lvsd setting, which behaves slightly differently.
 */
export type FindingKind = 'dropped' | 'approximated';

export interface Finding {
  pos: SourcePos;
  keyword: string;
  kind: FindingKind;
  /** Why it was dropped or how it differs, then what to do instead. */
  message: string;
}

/** What the converter reads files and expands include patterns through (a shell supplies fs). */
export interface SourceFiles {
  /** Text of an absolute path, or undefined when it cannot be read. */
  read(path: string): string | undefined;
  /** Absolute paths matching an absolute glob pattern, in glob()'s order; [] when none. */
  glob(pattern: string): string[];
}

/** Options of one conversion. */
export interface ImportOptions {
  /** keepalived's config-id (-i): selects `@id` lines; keepalived defaults it to the host name's first label. */
  configId: string;
  /** How a file is named in reports and comments (e.g. relative to the current directory). */
  display(path: string): string;
}
