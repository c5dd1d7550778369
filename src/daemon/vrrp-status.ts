// What the VRRP side reports: the views `lvsd status`, /metrics and the status page read (they
// cross to the main thread by structured clone, so plain data only), and the projection of a
// running instance onto its view.
import type { PeerStatus, TransitionReason, VrrpState } from '../vrrp/instance.js';
import type { DropReason } from '../vrrp/drop-reasons.js';
import type { NotifyRuns } from '../vrrp/notify-spawn.js';
import type { RunnerStatus } from '../vrrp/runner.js';
import type { InstanceSettings } from '../vrrp/settings.js';
import type { IpFamily } from '../net/address.js';
import type { PeerWatch, SplitBrain } from './vrrp-peer-watch.js';

export interface VrrpPeerView extends PeerStatus {
  /** How long ago its last accepted advert arrived, ms. */
  lastSeenMsAgo: number;
  /** Its checksum variant is not the one we send (see vrrp-peer-watch.ts). */
  checksumDiffers: boolean;
}

/** The runner's status (`priority` is the advertised one) plus what the manager knows. */
export interface VrrpInstanceView extends RunnerStatus {
  /** Its notify hooks that ran (or failed to) so far. */
  notifyHooks: NotifyRuns;
  interface: string;
  family: IpFamily;
  vrid: number;
  version: 2 | 3;
  advertIntervalMs: number;
  /** Our advert source (and tie-break address). */
  source: string;
  /** The current master: us when master, the followed peer when backup. */
  currentMaster?: { address: string; priority: number };
  lastTransition?: { at: string; from: VrrpState; to: VrrpState; reason: TransitionReason };
  syncGroup?: string;
  /** Tracked items that hold the instance in FAULT, as "kind name". */
  faultItems: string[];
  peers: VrrpPeerView[];
  /** Peers that keep advertising while we are master (see vrrp-peer-watch.ts). */
  splitBrain: SplitBrain[];
  splitBrainsDetected: number;
  /** Time left of a manual failover's hold, ms. */
  holdMsLeft?: number;
}

export interface VrrpSocketView {
  interface: string;
  family: IpFamily;
  source: string;
  multicast: boolean;
  packets: number;
  /** Drops that named no instance on this socket (unknown VRID, bad checksum before dispatch...). */
  drops: Partial<Record<DropReason, number>>;
}

export interface VrrpSyncGroupView {
  name: string;
  state: VrrpState;
  members: string[];
  faultyMembers: string[];
}

export interface FailoverResult {
  instance: string;
  ok: boolean;
  /** Why it was refused. */
  reason?: string;
}

/** What instanceView needs of a running instance beyond its runner's status. */
export interface InstanceViewSource {
  status: RunnerStatus;
  settings: InstanceSettings;
  notifyHooks: NotifyRuns;
  lastTransition?: VrrpInstanceView['lastTransition'];
  groupName?: string;
  faultItems: string[];
  watch: PeerWatch;
}

/** A running instance as `lvsd status` shows it; `now` is performance.now(). */
export function instanceView(m: InstanceViewSource, now: number): VrrpInstanceView {
  const s = m.status;
  const settings = m.settings;
  const currentMaster = s.state === 'master' ? { address: settings.primaryAddress, priority: s.priority } : s.master;
  return {
    ...s,
    notifyHooks: m.notifyHooks,
    interface: settings.interface,
    family: settings.family,
    vrid: settings.vrid,
    version: settings.version,
    advertIntervalMs: settings.advertIntervalMs,
    source: settings.primaryAddress,
    ...(currentMaster ? { currentMaster } : {}),
    ...(m.lastTransition ? { lastTransition: m.lastTransition } : {}),
    ...(m.groupName !== undefined ? { syncGroup: m.groupName } : {}),
    faultItems: m.faultItems,
    peers: s.peers.map((p) => ({ ...p, lastSeenMsAgo: Math.round(now - p.lastSeenMs), checksumDiffers: p.checksum !== s.sendChecksum })),
    splitBrain: m.watch.current,
    splitBrainsDetected: m.watch.splitBrainCount,
    ...(s.holdUntilMs !== undefined && s.holdUntilMs > now ? { holdMsLeft: Math.round(s.holdUntilMs - now) } : {}),
  };
}
