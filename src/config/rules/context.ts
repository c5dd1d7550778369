// What a cross-field rule sees: the typed config (defaults applied) plus the ability to ask
// whether the operator wrote a key, and to report at a config path.
import type { ConfigPath } from '../issues.js';
import type { Config } from '../types.js';
import type { PathIssue } from '../zod-messages.js';

export interface RuleContext {
  config: Config;
  /** True when the key was written in the file, false when a default filled it in. */
  has(path: ConfigPath): boolean;
  error(path: ConfigPath, message: string): void;
  warn(path: ConfigPath, message: string): void;
}

export type Rule = (ctx: RuleContext) => void;

export interface RuleFindings {
  errors: PathIssue[];
  warnings: PathIssue[];
}

export function runRules(rules: readonly Rule[], config: Config, has: (path: ConfigPath) => boolean): RuleFindings {
  const findings: RuleFindings = { errors: [], warnings: [] };
  const ctx: RuleContext = {
    config,
    has,
    error: (path, message) => findings.errors.push({ path, message }),
    warn: (path, message) => findings.warnings.push({ path, message }),
  };
  for (const rule of rules) rule(ctx);
  return findings;
}

/**
 * Reports every item whose key was already seen, naming where it was first used:
 * `"web" is already used by vrrp.instances[0]`.
 */
export function requireUnique<T>(
  ctx: RuleContext,
  items: readonly T[],
  keyOf: (item: T, index: number) => string | undefined,
  pathOf: (index: number) => ConfigPath,
  describeDuplicate: (key: string, firstPath: ConfigPath) => string,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const key = keyOf(item, index);
    if (key === undefined) return;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else ctx.error(pathOf(index), describeDuplicate(key, pathOf(first)));
  });
}
