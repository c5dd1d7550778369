// One problem found in a config file, located at the YAML node it is about.

export type Severity = 'error' | 'warning';

export interface ConfigIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  message: string;
  /** The node whose view has the problem, in a file with nodes: (absent when every view has it). */
  node?: string;
}

/** `file:line:col: message`, the form editors and CI logs turn into links; `node lb2: ` before it for one node's view. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.node !== undefined ? `node ${issue.node}: ` : ''}${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

/** Source order, so the operator reads them top to bottom. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col || (a.node ?? '').localeCompare(b.node ?? '') || a.message.localeCompare(b.message));
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
