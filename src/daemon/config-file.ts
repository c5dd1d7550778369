// The config file as the daemon reads it, at start and at each reload: parsed and checked (a
// reload validates only the services that changed), its warnings logged, and its hash (shown by
// `lvsd status` and /metrics) taken from the text itself.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigLoader, formatIssue, type ConfigIssue } from '../config/load.js';
import type { NodeChoice } from '../config/nodes.js';
import type { Config } from '../config/types.js';
import type { Logger } from './log.js';

export class ConfigRejected extends Error {
  override readonly name = 'ConfigRejected';
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`${file}: configuration rejected:\n${issues.map(formatIssue).join('\n')}`);
  }
}

export interface LoadedConfig {
  config: Config;
  hash: string;
}

/** Keeps the services validated by the last load, so a reload validates only what changed. */
const configLoader = new ConfigLoader();

/** The checked config of the file at `path`; a file that cannot be read or is wrong throws ConfigRejected. */
export async function readConfig(path: string, node: NodeChoice | undefined, log: Logger): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigRejected(path, [{ file: path, line: 1, col: 1, message: `cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  const result = configLoader.parse(text, path, node);
  for (const w of result.warnings) log.warn(`${formatIssue(w)}`);
  if (!result.ok) throw new ConfigRejected(path, result.errors);
  return { config: result.config, hash: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}
