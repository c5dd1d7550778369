// Per-instance counters (issue item 6). Plain numbers, so the daemon can export them to
// Prometheus and the control socket can print them without knowing the state machine.
import { emptyDropCounts, type DropReason } from './drop-reasons.js';
import type { VrrpState } from './state.js';

export interface InstanceCounters {
  advertsSent: number;
  /** Of advertsSent, those with priority 0 (stopping, stepping down, leaving for fault). */
  priorityZeroSent: number;
  /** Adverts that passed every check and reached the state machine. */
  advertsReceived: number;
  priorityZeroReceived: number;
  /** Out-of-turn answers to lower-priority or priority-0 adverts left out by the rate limit. */
  repliesSuppressed: number;
  drops: Record<DropReason, number>;
  /** Accepted adverts whose address list differs from ours: a misconfiguration to log (RFC 5798 6.4). */
  addressMismatches: number;
  transitions: number;
  /** Entries into each state. */
  entered: Record<VrrpState, number>;
}

export function emptyCounters(): InstanceCounters {
  return {
    advertsSent: 0,
    priorityZeroSent: 0,
    advertsReceived: 0,
    priorityZeroReceived: 0,
    repliesSuppressed: 0,
    drops: emptyDropCounts(),
    addressMismatches: 0,
    transitions: 0,
    entered: { initialize: 0, backup: 0, master: 0, fault: 0 },
  };
}
