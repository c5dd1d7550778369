// Human-readable output: one line per step or check, "ok"/"FAIL" aligned, and under each FAIL
// why it matters and the command that fixes it.
import { sysctlDisplayName } from '../../kernel/sysctl.js';
import type { CheckResult } from './check.js';
import type { Step } from './plan.js';
import type { RealServerSpec } from './spec.js';
import type { Wanted } from './wanted.js';

function describeStep(step: Step): string {
  switch (step.kind) {
    case 'load-module':
      return `load module ${step.module} (creates ${step.device})`;
    case 'set-link':
      return `set ${step.ifname} ${step.up ? 'up' : 'down'}`;
    case 'add-address':
      return `add ${step.address}/${step.prefix} to ${step.ifname}${step.nodad ? ' (nodad)' : ''}`;
    case 'remove-address':
      return `remove ${step.address}/${step.prefix} from ${step.ifname}`;
    case 'set-sysctl':
      return `${sysctlDisplayName(step.key)}: ${step.from ?? '(unset)'} -> ${step.to}`;
  }
}

export function formatSteps(title: string, steps: readonly Step[]): string[] {
  if (steps.length === 0) return [`${title}: nothing to change`];
  return [`${title}:`, ...steps.map((s) => `  ${describeStep(s)}  # ${s.why}`)];
}

export function formatHeader(spec: RealServerSpec, wanted: Wanted): string {
  const what = spec.mode === 'nat' ? `gateway ${spec.gateway?.address ?? '?'}` : spec.vips.map((v) => v.address).join(', ');
  const uplinks = spec.mode === 'nat' ? '' : `; uplinks ${wanted.uplinks.names.join(', ') || '(none)'} from ${wanted.uplinks.source}`;
  return `real server, ${spec.mode.toUpperCase()} mode: ${what}${uplinks}`;
}

export function formatChecks(results: readonly CheckResult[]): string[] {
  return results.flatMap((r) =>
    r.ok
      ? [`  ok    ${r.summary}`]
      : [`  FAIL  ${r.summary}`, ...(r.why ? [`        why: ${r.why}`] : []), ...(r.fix ? [`        fix: ${r.fix}`] : [])],
  );
}

export function allOk(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.ok);
}
