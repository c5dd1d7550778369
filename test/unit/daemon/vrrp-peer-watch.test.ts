// Split-brain and checksum-variant detection from status snapshots.
import { describe, expect, it } from 'vitest';
import { PeerWatch } from '../../../src/daemon/vrrp-peer-watch.js';
import type { InstanceStatus, PeerStatus } from '../../../src/vrrp/instance.js';
import { emptyCounters } from '../../../src/vrrp/instance-counters.js';

function status(state: InstanceStatus['state'], peers: PeerStatus[], sendChecksum: InstanceStatus['sendChecksum'] = 'pseudo-header', inStateMs = 0): InstanceStatus {
  return {
    name: 'vi',
    state,
    configuredPriority: 150,
    priority: 150,
    fault: { tracking: false, syncGroup: false },
    masterAdvertIntervalMs: 100,
    sendChecksum,
    peers,
    counters: emptyCounters(),
    timeInStateMs: { initialize: 0, backup: 0, master: 0, fault: 0 },
    inStateMs,
  };
}

const peer = (lastSeenMs: number, extra: Partial<PeerStatus> = {}): PeerStatus => ({ address: '198.18.0.1', priority: 100, checksum: 'pseudo-header', lastSeenMs, ...extra });

describe('PeerWatch', () => {
  it('reports a peer that keeps advertising while we are master, once, and when it stops', () => {
    const w = new PeerWatch(100);
    const started: string[] = [];
    for (let t = 0; t <= 500; t += 100) started.push(...w.observe(status('master', [peer(t)]), t).splitBrainStarted.map((s) => s.peer));
    expect(started).toEqual(['198.18.0.1']);
    expect(w.current).toMatchObject([{ peer: '198.18.0.1', peerPriority: 100, checksumDiffers: false, sinceMs: 0 }]);
    expect(w.splitBrainCount).toBe(1);
    // Silent for longer than the gap tolerance: over.
    expect(w.observe(status('master', [peer(500)]), 3600).splitBrainEnded).toEqual(['198.18.0.1']);
    expect(w.current).toEqual([]);
  });

  it('tolerates the sparse adverts of a master that restarts its timer on every packet', () => {
    const w = new PeerWatch(100);
    let found = 0;
    for (let t = 0; t <= 4000; t += 100) found += w.observe(status('master', [peer(Math.floor(t / 1300) * 1300)]), t).splitBrainStarted.length;
    expect(found).toBe(1);
  });

  it('ignores the one or two adverts a peer sends before it hears us', () => {
    const w = new PeerWatch(100);
    for (let t = 0; t <= 4000; t += 100) expect(w.observe(status('master', [peer(Math.min(t, 100))]), t).splitBrainStarted).toEqual([]);
  });

  it('ignores peers while we are backup, and priority-0 adverts', () => {
    const w = new PeerWatch(100);
    for (let t = 0; t <= 1000; t += 100) {
      expect(w.observe(status('backup', [peer(t)]), t).splitBrainStarted).toEqual([]);
      expect(w.observe(status('master', [peer(t, { priority: 0, address: '198.18.0.3' })]), t).splitBrainStarted).toEqual([]);
    }
  });

  it('names a differing checksum variant once per peer and pair, and blames it for a split brain', () => {
    const w = new PeerWatch(100);
    const first = w.observe(status('master', [peer(0)], 'plain'), 0);
    expect(first.checksumDifferences).toEqual([{ peer: '198.18.0.1', peerChecksum: 'pseudo-header', ourChecksum: 'plain' }]);
    expect(first.splitBrainStarted).toMatchObject([{ checksumDiffers: true }]);
    for (let t = 100; t <= 500; t += 100) {
      const c = w.observe(status('master', [peer(t)], 'plain'), t);
      expect(c.checksumDifferences).toEqual([]);
      expect(c.splitBrainStarted).toEqual([]);
    }
  });

  it('a peer that advertised once in another variant while we are master is in split brain until it or we change', () => {
    // keepalived master, rejecting our RFC 9568 adverts: one advert when it went master, then silence.
    const w = new PeerWatch(100);
    const sinceMaster = (t: number) => t + 1000;
    const started = w.observe(status('master', [peer(50)], 'plain', sinceMaster(100)), 100).splitBrainStarted;
    expect(started).toMatchObject([{ peer: '198.18.0.1', checksumDiffers: true }]);
    // Silent for far longer than the gap tolerance: still a split brain.
    expect(w.observe(status('master', [peer(50)], 'plain', sinceMaster(60_000)), 60_000).splitBrainEnded).toEqual([]);
    expect(w.current).toHaveLength(1);
    // We send its variant now (a reload to checksum: auto): over.
    expect(w.observe(status('master', [peer(50)], 'pseudo-header', sinceMaster(60_100)), 60_100).splitBrainEnded).toEqual(['198.18.0.1']);
  });

  it('a lower-priority peer in another variant still advertising when we took over is in split brain; one that had died is not', () => {
    // keepalived went master first, advertised while we were backup, and fell silent once our adverts (which it rejects) came.
    const preempted = new PeerWatch(100);
    expect(preempted.observe(status('master', [peer(950)], 'plain', 100), 1100).splitBrainStarted).toMatchObject([{ peer: '198.18.0.1', checksumDiffers: true }]);
    expect(preempted.observe(status('master', [peer(950)], 'plain', 30_000), 31_000).splitBrainEnded).toEqual([]);
    // Its last advert came Master_Down_Interval before our takeover: it died, nobody was preempted.
    expect(new PeerWatch(100).observe(status('master', [peer(650)], 'plain', 100), 1100).splitBrainStarted).toEqual([]);
    // A higher-priority peer is never preempted; in our own variant it hears us.
    expect(new PeerWatch(100).observe(status('master', [peer(950, { priority: 200 })], 'plain', 100), 1100).splitBrainStarted).toEqual([]);
    expect(new PeerWatch(100).observe(status('master', [peer(950)], 'pseudo-header', 100), 1100).splitBrainStarted).toEqual([]);
  });

  it('ends such a split brain when we leave master, and ignores an advert from before our mastership', () => {
    const w = new PeerWatch(100);
    w.observe(status('master', [peer(50)], 'plain', 1000), 100);
    expect(w.observe(status('backup', [peer(50)], 'plain', 0), 200).splitBrainEnded).toEqual(['198.18.0.1']);
    // Master again since 300: the advert at 50 was answered by a backup, not a master.
    expect(w.observe(status('master', [peer(50)], 'plain', 100), 400).splitBrainStarted).toEqual([]);
  });
});
