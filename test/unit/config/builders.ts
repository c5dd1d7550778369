// Config fragments for the rule and bounds tests: built as objects and serialized, so the YAML is
// always well formed and a test states only what it is about.
import { stringify } from 'yaml';
import { parseConfigText } from '../../../src/config/load.js';

export type Obj = Record<string, unknown>;

/** The messages a config yields, errors and warnings apart. */
export function check(config: Obj, fileName = 'c.yaml'): { errors: string[]; warnings: string[] } {
  const result = parseConfigText(stringify(config), fileName);
  return {
    errors: result.ok ? [] : result.errors.map((e) => e.message),
    warnings: result.warnings.map((w) => w.message),
  };
}

export const instance = (over: Obj = {}): Obj => ({ name: 'web', interface: 'eth0', vrid: 51, vips: ['198.18.0.100/24'], ...over });
export const withInstances = (...instances: Obj[]): Obj => ({ node: { name: 'lb1' }, vrrp: { instances } });
export const service = (over: Obj = {}): Obj => ({ name: 'web', vip: '198.18.0.100', port: 80, ...over });
