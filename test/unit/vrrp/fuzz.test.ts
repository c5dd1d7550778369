// One million packets through the receive path (TTL check, decode, VRID dispatch) into live
// state machines on a fake clock, interleaved with timers, tracking changes, manual failovers and
// restarts. Half are keepalived goldens mutated (some with the checksum fixed up so they get past
// decoding and exercise the state machine), half random bytes. Nothing may throw, every packet
// must be counted exactly once (accepted or dropped under a reason), and the instances must stay
// consistent (a master has its Adver_Timer, a backup its Master_Down_Timer).
import { describe, expect, it } from 'vitest';
import { vrrpChecksum, type ChecksumVariant } from '../../../src/vrrp/checksum.js';
import { DROP_REASONS } from '../../../src/vrrp/drop-reasons.js';
import type { InstanceAction } from '../../../src/vrrp/instance.js';
import type { DatagramInfo } from '../../../src/net/datagram.js';
import { VrrpReceiver } from '../../../src/vrrp/receiver.js';
import { goldenAdverts } from './golden.js';
import { Harness } from './harness.js';

const PACKETS = 1_000_000;

/** xorshift32: deterministic, so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

describe('fuzz: receive path and state machine', () => {
  it(`${PACKETS.toLocaleString('en')} mutated and random packets: no exception, every packet counted`, () => {
    const seed = 0x5eed1e55;
    const next = rng(seed);
    const below = (n: number): number => next() % n;

    const harnesses = [
      new Harness({ name: 'v2', vrid: 51, version: 2, priority: 100, vips: [{ address: '198.18.0.100', prefix: 24 }, { address: '198.18.0.101', prefix: 24 }] }),
      new Harness({ name: 'v3', vrid: 52, priority: 150, advertIntervalMs: 500, vips: [{ address: '198.18.0.102', prefix: 24 }] }),
      new Harness({ name: 'v6', vrid: 53, family: 6, primaryAddress: 'fe80::2', vips: [{ address: '2001:2::100', prefix: 64 }] }),
      new Harness({ name: 'uni', vrid: 54, unicastPeers: ['198.18.0.1'], preemptDelayMs: 2000, vips: [{ address: '198.18.0.104', prefix: 24 }] }),
      new Harness({ name: 'old', vrid: 55, priority: 255, vips: [{ address: '198.18.0.105', prefix: 24 }] }),
    ];
    const receivers = { 4: new VrrpReceiver(4), 6: new VrrpReceiver(6) };
    for (const h of harnesses) {
      receivers[h.instance.settings.family].register(h.instance.settings.vrid, {
        receive: (r) => void h.handle({ type: 'advert', ...r }),
        countDrop: (reason) => h.instance.countDrop(reason),
      });
    }
    for (const h of harnesses) h.start();

    const variants: ChecksumVariant[] = ['plain', 'pseudo-header', 'pseudo-header-multicast'];
    const sources = { 4: ['198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.250'], 6: ['fe80::1', 'fe80::2', 'fe80::ffff'] };
    const dsts = { 4: ['224.0.0.18', '198.18.0.2', '224.0.0.1'], 6: ['ff02::12', 'fe80::2'] };
    let fixedUp = 0;

    const t0 = performance.now();
    for (let i = 0; i < PACKETS; i++) {
      const g = goldenAdverts[below(goldenAdverts.length)];
      if (!g) throw new Error('no goldens');
      const family = below(8) === 0 ? (g.family === 4 ? 6 : 4) : g.family;
      let bytes: Buffer;
      if (below(2) === 0) {
        bytes = Buffer.alloc(below(64));
        for (let j = 0; j < bytes.length; j++) bytes[j] = below(256);
        // Make random packets look like VRRP often enough to reach the deeper checks.
        if (bytes.length > 1 && below(2) === 0) bytes[0] = below(2) === 0 ? 0x21 : 0x31;
        if (bytes.length > 1 && below(2) === 0) bytes[1] = 51 + below(5);
      } else {
        bytes = Buffer.from(g.payload);
        const edits = 1 + below(3);
        for (let e = 0; e < edits && bytes.length > 0; e++) {
          const at = below(bytes.length);
          // Mostly edits that keep the length, so many packets get past decoding.
          switch (below(16) === 0 ? 2 + below(2) : [0, 1, 4, 4][below(4)]) {
            case 0:
              bytes[at] = (bytes[at] as number) ^ (1 << below(8));
              break;
            case 1:
              bytes[at] = below(256);
              break;
            case 2:
              bytes = bytes.subarray(0, below(bytes.length + 1));
              break;
            case 3:
              bytes = Buffer.concat([bytes, Buffer.alloc(below(20), below(256))]);
              break;
            case 4:
              // Fields the state machine reads: priority, interval, count.
              if (bytes.length > 5) bytes[[2, 2, 2, 5, 3][below(5)] as number] = [0, 255, below(256)][below(3)] as number;
              break;
          }
        }
      }
      const info: DatagramInfo = {
        family,
        src: below(4) === 0 ? (sources[family][below(sources[family].length)] as string) : g.family === family ? g.src : (sources[family][0] as string),
        dst: below(4) === 0 ? (dsts[family][below(dsts[family].length)] as string) : g.family === family ? g.dst : (dsts[family][0] as string),
        ttl: below(16) === 0 ? below(256) : 255,
        ifindex: 2,
      };
      if (bytes.length >= 8 && below(4) !== 0) {
        const sum = vrrpChecksum(bytes, variants[below(3)] as ChecksumVariant, info);
        if (sum !== undefined) {
          bytes.writeUInt16BE(sum, 6);
          fixedUp++;
        }
      }
      receivers[family].onPacket(bytes, info);

      const h = harnesses[below(harnesses.length)] as Harness;
      // Time moves in batches: about 20 ms per packet on average, so timers fire often.
      if (i % 8 === 0) {
        const step = below(320);
        for (const other of harnesses) other.advance(step);
      }
      const roll = below(2000);
      if (roll === 0) h.handle({ type: 'tracking', priority: 1 + below(254), fault: below(4) === 0 });
      else if (roll === 1) {
        const outcome = h.instance.failover(below(2) === 0 ? 'step-down' : 'take-over', below(5000));
        if (outcome.ok) h.apply(outcome.actions);
      } else if (roll === 2) h.handle({ type: 'shutdown' });
      else if (roll === 3) h.handle({ type: 'start' });
      else if (roll === 4) h.handle({ type: 'sync', command: (['master', 'backup', 'fault', 'clear-fault'] as const)[below(4)] as 'master' });

      if (i % 1000 === 0) {
        for (const other of harnesses) {
          const state = other.state;
          if (state === 'master') expect(other.deadline('advert'), `${other.instance.settings.name} master without Adver_Timer`).toBeDefined();
          if (state === 'backup') expect(other.deadline('master-down'), `${other.instance.settings.name} backup without Master_Down_Timer`).toBeDefined();
          if (state === 'fault' || state === 'initialize') expect(other.deadline('advert')).toBeUndefined();
        }
      }
    }
    const elapsed = performance.now() - t0;

    const received = receivers[4].packets + receivers[6].packets;
    let accepted = 0;
    let dropped = DROP_REASONS.reduce((n, r) => n + receivers[4].drops[r] + receivers[6].drops[r], 0);
    const byReason: Record<string, number> = {};
    for (const r of DROP_REASONS) byReason[r] = receivers[4].drops[r] + receivers[6].drops[r];
    for (const h of harnesses) {
      const c = h.instance.status().counters;
      accepted += c.advertsReceived;
      for (const r of DROP_REASONS) {
        dropped += c.drops[r];
        byReason[r] = (byReason[r] ?? 0) + c.drops[r];
      }
    }
    const sends = harnesses.reduce((n, h) => n + h.log.filter((a: InstanceAction) => a.type === 'send-advert').length, 0);
    console.log(
      `fuzz seed ${seed.toString(16)}: ${received} packets in ${(elapsed / 1000).toFixed(1)} s (${Math.round(received / (elapsed / 1000))}/s); ` +
        `${accepted} accepted, ${dropped} dropped, ${fixedUp} with fixed-up checksums; ${sends} adverts sent\n` +
        `drops: ${JSON.stringify(byReason)}`,
    );
    expect(received).toBe(PACKETS);
    expect(accepted + dropped).toBe(received);
    // The mix must actually reach the state machine, and the common drop reasons must all occur.
    // (About 8,500 with this seed: multicast instances drop adverts not sent to the group, and
    // some goldens name VRIDs no instance here has.)
    expect(accepted).toBeGreaterThan(5_000);
    for (const r of ['too-short', 'bad-version', 'bad-type', 'bad-length', 'bad-checksum', 'bad-ttl', 'wrong-destination', 'unknown-vrid', 'version-mismatch'] as const) {
      expect(byReason[r], r).toBeGreaterThan(0);
    }
  }, 120_000);
});
