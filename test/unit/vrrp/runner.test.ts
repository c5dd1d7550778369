// The runner on real timers. The master posts adverts every 100 ms through a MessagePort: its
// messages reach the runner through the event loop's poll phase like socket data, so a busy
// loop finds them queued when it wakes, exactly as adverts wait in a raw socket.
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAdvert, decodeAdvert } from '../../../src/vrrp/packet.js';
import { VrrpReceiver } from '../../../src/vrrp/receiver.js';
import { VrrpRunner } from '../../../src/vrrp/runner.js';
import type { InstanceAction } from '../../../src/vrrp/instance.js';
import { settings } from './harness.js';

const MASTER = '198.18.0.1';
const GROUP = '224.0.0.18';

interface Fixture {
  runner: VrrpRunner;
  receiver: VrrpReceiver;
  sent: Array<{ payload: Buffer; dst: string }>;
  vipOps: string[];
  actions: InstanceAction[];
}

function fixture(overrides: Parameters<typeof settings>[0] = {}): Fixture {
  const sent: Fixture['sent'] = [];
  const vipOps: string[] = [];
  const actions: InstanceAction[] = [];
  const s = settings({ advertIntervalMs: 100, garp: { repeat: 1, delayMs: 0, refreshMs: 0, refreshRepeat: 0 }, ...overrides });
  const runner = new VrrpRunner(s, {
    transport: { send: (payload, dst) => sent.push({ payload, dst }) },
    vips: { add: (dev, vips) => void vipOps.push(`add ${dev} ${vips.map((v) => v.address).join(',')}`), remove: (dev) => void vipOps.push(`remove ${dev}`) },
    announcer: { announce: (dev, address) => void vipOps.push(`announce ${dev} ${address}`) },
    onAction: (a) => actions.push(a),
  });
  const receiver = new VrrpReceiver(4);
  receiver.register(s.vrid, runner);
  return { runner, receiver, sent, vipOps, actions };
}

/**
 * The master: a priority-200, 100 ms VRRPv3 advert every 100 ms, posted through a MessagePort so
 * it reaches the runner in the event loop's poll phase, as socket data does. `busy(ms)` blocks
 * the loop while the master keeps sending: adverts posted meanwhile wait in the port's queue as
 * they would in a raw socket. It shares the runner's thread, so a loaded machine delays both
 * alike; a master on a worker thread, starved of CPU for 400 ms, looked dead and flapped the test.
 */
function startMaster(onAdvert: (payload: Buffer) => void): { stop: () => void; busy: (ms: number) => number } {
  const advert = encodeAdvert({ version: 3, vrid: 10, priority: 200, maxAdvertIntervalCs: 10, addresses: ['198.18.0.100'] }, 'pseudo-header', {
    family: 4,
    src: MASTER,
    dst: GROUP,
  });
  const { port1, port2 } = new MessageChannel();
  port2.on('message', (m: Uint8Array) => onAdvert(Buffer.from(m)));
  let due = performance.now() + 100;
  const send = (): void => {
    port1.postMessage(advert);
    due = performance.now() + 100;
  };
  send();
  const timer = setInterval(send, 100);
  return {
    stop: () => {
      clearInterval(timer);
      port1.close();
    },
    busy: (ms) => {
      const t0 = performance.now();
      while (performance.now() - t0 < ms) {
        // Deliberately blocking: this is the stalled event loop under test.
        if (performance.now() >= due) send();
      }
      return performance.now() - t0;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('VrrpRunner', () => {
  it('takes over with a decodable advert, VIPs and an announcement, and gives up with priority 0', async () => {
    const f = fixture();
    cleanups.push(() => f.runner.stop());
    f.runner.start();
    await sleep(500);
    expect(f.runner.status().state).toBe('master');
    expect(f.vipOps.slice(0, 2)).toEqual(['add eth0 198.18.0.100', 'announce eth0 198.18.0.100']);
    const first = f.sent[0];
    expect(first?.dst).toBe(GROUP);
    const decoded = decodeAdvert(first?.payload ?? Buffer.alloc(0), { family: 4, src: '198.18.0.2', dst: GROUP });
    expect(decoded).toMatchObject({ ok: true, advert: { vrid: 10, priority: 100, maxAdvertIntervalCs: 10 } });
    f.runner.stop();
    const last = f.sent.at(-1);
    expect(decodeAdvert(last?.payload ?? Buffer.alloc(0), { family: 4, src: '198.18.0.2', dst: GROUP })).toMatchObject({ ok: true, advert: { priority: 0 } });
    expect(f.vipOps.at(-1)).toBe('remove eth0');
  });

  it('sends to each unicast peer instead of the group', async () => {
    const f = fixture({ priority: 255, unicastPeers: ['198.18.0.3', '198.18.0.4'] });
    cleanups.push(() => f.runner.stop());
    f.runner.start();
    expect(f.sent.map((s) => s.dst)).toEqual(['198.18.0.3', '198.18.0.4']);
  });

  it('reports VIP failures and keeps running', async () => {
    const errors: string[] = [];
    const runner = new VrrpRunner(settings({ priority: 255 }), {
      transport: { send: () => undefined },
      vips: { add: () => Promise.reject(new Error('EPERM')), remove: () => undefined },
      announcer: { announce: () => undefined },
      onError: (err, what) => errors.push(`${what}: ${(err as Error).message}`),
    });
    cleanups.push(() => runner.stop());
    runner.start();
    await sleep(10);
    expect(errors).toEqual(['vi1: add VIPs: EPERM']);
    expect(runner.status().state).toBe('master');
  });
});

describe('a late event loop does not cause a false takeover', () => {
  it('50 ms busy loops never flip a backup of a 100 ms master', async () => {
    const f = fixture();
    const master = startMaster((payload) => f.receiver.onPacket(payload, { family: 4, src: MASTER, dst: GROUP, ttl: 255, ifindex: 1 }));
    cleanups.push(() => f.runner.stop(), master.stop);
    f.runner.start();
    await sleep(300);
    expect(f.runner.status().state).toBe('backup');
    for (let i = 0; i < 30; i++) {
      master.busy(50);
      await sleep(20);
    }
    const s = f.runner.status();
    expect(s.state).toBe('backup');
    expect(s.counters.entered.master).toBe(0);
    expect(s.counters.advertsReceived).toBeGreaterThan(15);
    expect(f.sent).toEqual([]);
  });

  it('a stall longer than Master_Down_Interval does not flip it either: queued adverts are read first', async () => {
    const f = fixture();
    const master = startMaster((payload) => f.receiver.onPacket(payload, { family: 4, src: MASTER, dst: GROUP, ttl: 255, ifindex: 1 }));
    cleanups.push(() => f.runner.stop(), master.stop);
    f.runner.start();
    await sleep(300);
    const before = f.runner.status().counters.advertsReceived;
    // Master_Down_Interval here is 3 x 100 ms + 156/256 x 100 ms = 361 ms.
    const stalled = master.busy(800);
    await sleep(50);
    const s = f.runner.status();
    expect(stalled).toBeGreaterThanOrEqual(800);
    expect(s.counters.advertsReceived - before).toBeGreaterThanOrEqual(6);
    expect(s.state).toBe('backup');
    expect(s.counters.entered.master).toBe(0);
  });

  it('but a master that really stops is replaced within Master_Down_Interval', async () => {
    const f = fixture();
    const master = startMaster((payload) => f.receiver.onPacket(payload, { family: 4, src: MASTER, dst: GROUP, ttl: 255, ifindex: 1 }));
    cleanups.push(() => f.runner.stop());
    f.runner.start();
    await sleep(300);
    let lastAdvertAt = 0;
    const became = new Promise<number>((resolve) => {
      f.actions.length = 0;
      const poll = setInterval(() => {
        if (f.runner.status().state === 'master') {
          clearInterval(poll);
          resolve(performance.now());
        }
      }, 1);
    });
    master.stop();
    lastAdvertAt = f.runner.status().peers[0]?.lastSeenMs ?? 0;
    const at = await became;
    const takeover = at - lastAdvertAt;
    console.log(`takeover ${takeover.toFixed(1)} ms after the last advert (Master_Down_Interval 360.9 ms)`);
    expect(takeover).toBeGreaterThanOrEqual(360);
    expect(takeover).toBeLessThan(420);
  });
});
