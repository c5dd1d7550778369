// setup, teardown and check as procedures over a RealServerHost: observe, plan, apply, observe
// again. The record is handed to `save` after every applied step, so a failure halfway leaves a
// state file that still lists everything already changed.
import { checkRealServer, type CheckResult } from './check.js';
import { applyStep, observe, type RealServerHost } from './host.js';
import type { HostState } from './host-state.js';
import { planSetup, type Step } from './plan.js';
import { forgetChange, recordStep, recordedSysctlKeys, type RealServerRecord } from './record.js';
import type { RealServerSpec } from './spec.js';
import { planTeardown, planTeardownUnrecorded } from './teardown.js';
import { sysctlKeysToRead, wantedState, type Wanted } from './wanted.js';

/** Loading a module creates a device whose addresses and sysctls the next round handles; three rounds always suffice. */
const MAX_SETUP_ROUNDS = 3;

export interface CheckOutcome {
  wanted: Wanted;
  results: CheckResult[];
}

export interface SetupOutcome extends CheckOutcome {
  applied: Step[];
  record: RealServerRecord;
}

async function observeFor(host: RealServerHost, spec: RealServerSpec): Promise<{ state: HostState; wanted: Wanted }> {
  const state = await observe(host, (partial) => sysctlKeysToRead(wantedState(spec, partial)));
  return { state, wanted: wantedState(spec, state) };
}

export async function checkSetup(host: RealServerHost, spec: RealServerSpec): Promise<CheckOutcome> {
  const { state, wanted } = await observeFor(host, spec);
  return { wanted, results: checkRealServer(wanted, state) };
}

export async function setupRealServer(
  host: RealServerHost,
  spec: RealServerSpec,
  record: RealServerRecord,
  save: (record: RealServerRecord) => void,
): Promise<SetupOutcome> {
  const applied: Step[] = [];
  let current = record;
  for (let round = 0; round < MAX_SETUP_ROUNDS; round++) {
    const { state, wanted } = await observeFor(host, spec);
    const steps = planSetup(wanted, state);
    if (steps.length === 0) break;
    for (const step of steps) {
      await applyStep(host, step);
      applied.push(step);
      current = recordStep(current, step);
      save(current);
    }
  }
  const { wanted, results } = await checkSetup(host, spec);
  return { wanted, results, applied, record: current };
}

export interface TeardownOutcome {
  applied: Step[];
  notes: string[];
  /** What is still recorded (empty when everything was undone or settled). */
  record: RealServerRecord | undefined;
}

/**
 * With a record: undoes it, newest change first. Without one: removes only addresses that carry
 * lvsd's mark (those of `spec`'s VIPs when given).
 */
export async function teardownRealServer(
  host: RealServerHost,
  record: RealServerRecord | undefined,
  spec: RealServerSpec | undefined,
  stateFile: string,
  save: (record: RealServerRecord) => void,
): Promise<TeardownOutcome> {
  const keys = record ? recordedSysctlKeys(record) : [];
  const state = await observe(host, () => keys);
  const plan = record ? planTeardown(record, state) : planTeardownUnrecorded(spec, state, stateFile);
  const applied: Step[] = [];
  let current = record;
  for (const change of plan.settled) if (current) current = forgetChange(current, change);
  for (const action of plan.actions) {
    await applyStep(host, action.step);
    applied.push(action.step);
    if (current && action.undoes) {
      current = forgetChange(current, action.undoes);
      save(current);
    }
  }
  return { applied, notes: plan.notes, record: current };
}
