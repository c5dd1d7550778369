// The messages between the daemon's main thread and its VRRP thread (see vrrp-thread.ts for why
// VRRP has a thread of its own). Plain data only: everything here crosses a MessagePort by
// structured clone. The main thread sends requests, each answered by one reply with its id; the
// VRRP thread also sends events nobody asked for: state changes, log lines, and its fatal end.
import type { FailoverMode, TransitionReason, VrrpState } from '../vrrp/instance.js';
import type { LoopDelay } from './loop-delay.js';
import type { VrrpConfig } from './vrrp-manager.js';
import type { FailoverResult, VrrpInstanceView, VrrpSocketView, VrrpSyncGroupView } from './vrrp-status.js';

/** What the VRRP thread reports in one piece: the manager's views and its own loop's delay. */
export interface VrrpSnapshot {
  instances: VrrpInstanceView[];
  syncGroups: VrrpSyncGroupView[];
  sockets: VrrpSocketView[];
  /** Event-loop delay of the VRRP thread since the previous snapshot that asked to reset it. */
  loopDelay: LoopDelay;
}

export type VrrpRequest =
  /** Remove this config's VIPs left behind by a previous run; nothing starts. */
  | { op: 'clear-leftovers'; config: VrrpConfig }
  | { op: 'start'; config: VrrpConfig }
  | { op: 'reload'; config: VrrpConfig }
  /** Priority 0 from every master, VIPs removed, sockets closed; the thread ends after replying. */
  | { op: 'stop' }
  | { op: 'failover'; instance: string | undefined; mode: FailoverMode; holdMs: number | undefined }
  | { op: 'snapshot'; resetLoopDelay: boolean }
  | { op: 'log-level'; level: string };

/** What each request resolves to. */
export interface VrrpReplies {
  'clear-leftovers': null;
  start: null;
  reload: null;
  stop: null;
  failover: FailoverResult[];
  snapshot: VrrpSnapshot;
  'log-level': null;
}

export type VrrpRequestMessage = VrrpRequest & { id: number };

export type VrrpThreadMessage =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: { message: string; stack?: string } }
  | { type: 'state'; instance: string; state: VrrpState; reason: TransitionReason }
  /** One pino JSON line, for the main thread's logger. */
  | { type: 'log'; line: string };

/** The two ends speak over a MessagePort, a Worker or its parentPort: all have these. */
export interface MessageEndpoint {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}
