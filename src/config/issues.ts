// One problem found in a config file, located at the YAML node it is about.

export type Severity = 'error' | 'warning';

export interface ConfigIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  message: string;
}

/** `file:line:col: message`, the form editors and CI logs turn into links. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

/** Source order, so the operator reads them top to bottom. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col || a.message.localeCompare(b.message));
}

export type ConfigPath = readonly (string | number)[];

/** `services[0].real_servers[1].weight`: how messages name a place in the config. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}
