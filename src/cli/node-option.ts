// `--node NAME`: which node of a file with `nodes:` this command is about. Named by the option,
// else by LVSD_NODE (for a unit file or /etc/default/lvsd), else found from the host name (run,
// plan, apply) or left open (check: every node). The host name is read once, when the command
// starts, so a daemon keeps its node across reloads.
import type { Command } from 'commander';
import { hostname } from 'node:os';
import type { NodeChoice } from '../config/nodes.js';

export const NODE_ENV = 'LVSD_NODE';

export function addNodeOption(cmd: Command, unnamed: string): Command {
  return cmd.option('--node <name>', `which node of a file with nodes: this is (default: $${NODE_ENV}, else ${unnamed})`);
}

/** What was named, or `otherwise` ('host name': this host's name; 'all': every node). */
export function chooseNode(option: string | undefined, otherwise: 'host name' | 'all', env: NodeJS.ProcessEnv = process.env, host: () => string = hostname): NodeChoice {
  if (option !== undefined) return { by: 'option', name: option };
  const fromEnv = env[NODE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { by: 'environment', name: fromEnv };
  return otherwise === 'all' ? { by: 'all' } : { by: 'host name', name: host() };
}
