// Watches one instance's peers for the two misconfigurations VRRP itself cannot resolve, so the
// operator hears of them before traffic does:
//
//   - checksum variant: a VRRPv3-over-IPv4 peer computes its checksum differently from us
//     (RFC 5798 with pseudo-header vs RFC 9568 without). lvsd accepts every variant, so it always
//     hears the peer; the peer may well reject ours (keepalived 2.2.7 does: "Invalid VRRPv3
//     checksum").
//   - split brain: while we are master, a peer keeps advertising a non-zero priority. An RFC 5798
//     peer that hears our higher priority goes backup at once; one that keeps advertising does
//     not hear us (a checksum variant it rejects, a firewall, a one-way link, a VRID clash).
//     A peer that advertised as master in another checksum variant while we are master is in
//     split brain from that one advert: it went master because it did not hear us, and it still
//     cannot. Its silence afterwards proves nothing (keepalived 2.2.7, master, restarts its advert
//     timer on every packet it reads, so while our adverts keep arriving on time it sends none),
//     so that split brain lasts until we stop being master, send its variant, or it advertises
//     again in ours or with priority 0. The same holds for a lower-priority peer in another
//     variant that was still advertising as master when we took over (we preempted it): its
//     one advert may well have come while we were backup. The cost is a false report when such
//     a peer hears us after all (an lvsd peer, given another variant explicitly): it goes backup
//     in silence, and the report stays beside the checksum warning that already names the cause.
//
// lvsd reports both (warning log, status, counter) and does not act on them: the state machine
// still follows RFC 5798, because yielding to a lower-priority peer on a guess about why it does
// not hear us could just as well move the VIPs to a node with a dead uplink.
// Pure: fed instance status snapshots and a monotonic clock.
import type { ChecksumVariant } from '../vrrp/checksum.js';
import type { InstanceStatus, PeerStatus } from '../vrrp/instance.js';

export interface ChecksumDifference {
  peer: string;
  peerChecksum: ChecksumVariant;
  ourChecksum: ChecksumVariant;
}

export interface SplitBrain {
  peer: string;
  peerPriority: number;
  /** Monotonic ms since which the peer has been advertising while we are master. */
  sinceMs: number;
  /** The peer's checksum variant differs from ours: the likely reason it does not hear us. */
  checksumDiffers: boolean;
}

export interface PeerWatchChanges {
  checksumDifferences: ChecksumDifference[];
  splitBrainStarted: SplitBrain[];
  splitBrainEnded: string[];
}

/**
 * A peer is in split brain with us when, while we are master, we see at least this many of its
 * adverts spread over at least this many advert intervals. An RFC 5798 peer that hears us sends
 * one, at most two, before it goes backup.
 */
const SPLIT_BRAIN_ADVERTS = 3;
const SPLIT_BRAIN_INTERVALS = 3;
/**
 * Adverts further apart than this many intervals belong to separate episodes. Generous, because
 * a master that keeps receiving adverts it rejects may advertise late and irregularly: keepalived
 * 2.2.7 restarts its advert timer on every packet it reads, so while our 100 ms adverts keep
 * arriving it sends only when one of ours is late, from a few hundred ms to over a second apart.
 */
const SPLIT_BRAIN_GAP_INTERVALS = 30;
/**
 * A peer whose last advert came at most this many intervals before we became master was master
 * when we took over: we preempted it. One that died instead fell silent for Master_Down_Interval
 * (3 intervals and the skew) before we did.
 */
const PREEMPTED_WITHIN_INTERVALS = 2;

export class PeerWatch {
  private readonly reportedDifferences = new Set<string>();
  /** Peer address -> its current run of adverts while we are master: first and last seen, how many seen. */
  private readonly advertising = new Map<string, { firstMs: number; lastMs: number; seen: number }>();
  private readonly splitBrains = new Map<string, SplitBrain>();
  /** How many split brains were detected since start. */
  splitBrainCount = 0;

  constructor(private readonly advertIntervalMs: number) {}

  get current(): SplitBrain[] {
    return [...this.splitBrains.values()].map((s) => ({ ...s }));
  }

  observe(status: InstanceStatus, nowMs: number): PeerWatchChanges {
    const changes: PeerWatchChanges = { checksumDifferences: [], splitBrainStarted: [], splitBrainEnded: [] };
    for (const peer of status.peers) {
      const key = `${peer.address} ${peer.checksum} ${status.sendChecksum}`;
      if (peer.checksum !== status.sendChecksum && !this.reportedDifferences.has(key)) {
        this.reportedDifferences.add(key);
        changes.checksumDifferences.push({ peer: peer.address, peerChecksum: peer.checksum, ourChecksum: status.sendChecksum });
      }
    }
    const interval = Math.max(this.advertIntervalMs, status.masterAdvertIntervalMs);
    const gap = SPLIT_BRAIN_GAP_INTERVALS * interval;
    const claiming = new Map(
      status.state === 'master' ? status.peers.filter((p) => p.priority > 0 && p.lastSeenMs >= nowMs - gap).map((p) => [p.address, p] as const) : [],
    );
    for (const [address, run] of this.advertising) {
      const peer = claiming.get(address);
      if (!peer || peer.lastSeenMs - run.lastMs > gap) this.advertising.delete(address);
    }
    const masterSinceMs = nowMs - status.inStateMs;
    const claimedSinceOurTakeover = (p: PeerStatus): boolean =>
      p.lastSeenMs >= masterSinceMs || (p.priority < status.priority && p.lastSeenMs >= masterSinceMs - PREEMPTED_WITHIN_INTERVALS * interval);
    const rejectingOurs = new Set(
      status.state === 'master'
        ? status.peers.filter((p) => p.priority > 0 && p.checksum !== status.sendChecksum && claimedSinceOurTakeover(p)).map((p) => p.address)
        : [],
    );
    for (const [address, peer] of claiming) {
      const run = this.advertising.get(address);
      if (!run) this.advertising.set(address, { firstMs: peer.lastSeenMs, lastMs: peer.lastSeenMs, seen: 1 });
      else if (peer.lastSeenMs !== run.lastMs) {
        run.lastMs = peer.lastSeenMs;
        run.seen++;
      }
      const current = this.advertising.get(address) as { firstMs: number; lastMs: number; seen: number };
      const persistent = current.seen >= SPLIT_BRAIN_ADVERTS && current.lastMs - current.firstMs >= SPLIT_BRAIN_INTERVALS * interval;
      if ((persistent || rejectingOurs.has(address)) && !this.splitBrains.has(address)) {
        const found: SplitBrain = { peer: address, peerPriority: peer.priority, sinceMs: current.firstMs, checksumDiffers: peer.checksum !== status.sendChecksum };
        this.splitBrains.set(address, found);
        this.splitBrainCount++;
        changes.splitBrainStarted.push({ ...found });
      }
    }
    for (const address of [...this.splitBrains.keys()]) {
      if (!this.advertising.has(address) && !rejectingOurs.has(address)) {
        this.splitBrains.delete(address);
        changes.splitBrainEnded.push(address);
      }
    }
    return changes;
  }
}
