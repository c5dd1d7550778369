// The shell's side of a flood (issue 10, section 1): drops and send errors are counted one by one
// but logged at most once per reason a second, and a lower-priority master makes a master send one
// more burst of announcements. Fake timers, the real receiver, runner and codec.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeAdvert } from '../../../src/vrrp/packet.js';
import { VrrpReceiver } from '../../../src/vrrp/receiver.js';
import { VrrpRunner } from '../../../src/vrrp/runner.js';
import { ThrottledLog } from '../../../src/log/throttled-log.js';
import { settings } from './harness.js';

const GROUP = '224.0.0.18';
const OURS = '198.18.0.2';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const advert = (src: string, priority: number, dst = GROUP): Buffer =>
  encodeAdvert({ version: 3, vrid: 10, priority, maxAdvertIntervalCs: 100, addresses: ['198.18.0.100'] }, 'pseudo-header', { family: 4, src, dst });

describe('ThrottledLog', () => {
  it('reports the first occurrence at once, then one summary per window while they keep coming', () => {
    const lines: string[] = [];
    const log = new ThrottledLog<number>((reason, count, sample) => lines.push(`${reason} x${count} (last ${sample})`));
    for (let i = 1; i <= 500; i++) log.record('a', i);
    log.record('b', 0);
    expect(lines).toEqual(['a x1 (last 1)', 'b x1 (last 0)']);
    vi.advanceTimersByTime(1000);
    expect(lines.slice(2)).toEqual(['a x499 (last 500)']);
    log.record('a', 501);
    vi.advanceTimersByTime(1000);
    expect(lines.slice(3)).toEqual(['a x1 (last 501)']);
    // A quiet window closes; the next occurrence is reported at once again.
    vi.advanceTimersByTime(1000);
    log.record('a', 502);
    expect(lines.slice(4)).toEqual(['a x1 (last 502)']);
    log.stop();
  });
});

describe('VrrpRunner under a flood', () => {
  function fixture(overrides: Parameters<typeof settings>[0] = {}) {
    const drops: string[] = [];
    const errors: string[] = [];
    const announced: string[] = [];
    let failSends = false;
    const runner = new VrrpRunner(settings({ garp: { repeat: 2, delayMs: 0, refreshMs: 0, refreshRepeat: 1 }, ...overrides }), {
      transport: {
        send: () => {
          if (failSends) throw new Error('ENOBUFS');
        },
      },
      vips: { add: () => undefined, remove: () => undefined },
      announcer: { announce: (_dev, address) => void announced.push(address) },
      clock: () => performance.now(),
      onError: (_err, what) => errors.push(what),
      onDrops: (reason, count, src) => drops.push(`${reason} x${count} from ${src}`),
    });
    const socketDrops: string[] = [];
    const receiver = new VrrpReceiver(4, (reason, count, src) => socketDrops.push(`${reason} x${count} from ${src}`));
    receiver.register(10, runner);
    return { runner, receiver, drops, socketDrops, errors, announced, failSends: () => (failSends = true) };
  }

  it('100,000 forged adverts: each counted, two log lines, still master', () => {
    const f = fixture({ priority: 255 });
    f.runner.start();
    const forged = advert('198.18.0.66', 255, OURS);
    for (let i = 0; i < 50_000; i++) {
      f.receiver.onPacket(forged, { family: 4, src: '198.18.0.66', dst: OURS, ttl: 64, ifindex: 2 });
      f.receiver.onPacket(forged, { family: 4, src: '198.18.0.66', dst: GROUP, ttl: 1, ifindex: 2 });
    }
    vi.advanceTimersByTime(1000);
    const s = f.runner.status();
    expect(s.state).toBe('master');
    expect(s.counters.drops['bad-ttl']).toBe(100_000);
    expect(f.drops).toEqual(['bad-ttl x1 from 198.18.0.66', 'bad-ttl x99999 from 198.18.0.66']);
    f.runner.stop();
  });

  it('drops that name no instance are logged by the receiver, throttled, unknown VRIDs not at all', () => {
    const f = fixture();
    for (let i = 0; i < 1000; i++) f.receiver.onPacket(Buffer.alloc(3), { family: 4, src: '198.18.0.66', dst: GROUP, ttl: 255, ifindex: 2 });
    const otherVrid = encodeAdvert({ version: 3, vrid: 99, priority: 100, maxAdvertIntervalCs: 100, addresses: ['198.18.0.100'] }, 'pseudo-header', {
      family: 4,
      src: '198.18.0.66',
      dst: GROUP,
    });
    f.receiver.onPacket(otherVrid, { family: 4, src: '198.18.0.66', dst: GROUP, ttl: 255, ifindex: 2 });
    vi.advanceTimersByTime(1000);
    expect(f.receiver.drops['too-short']).toBe(1000);
    expect(f.receiver.drops['unknown-vrid']).toBe(1);
    expect(f.socketDrops).toEqual(['too-short x1 from 198.18.0.66', 'too-short x999 from 198.18.0.66']);
  });

  it('send errors are counted each and reported at most once a second', () => {
    const f = fixture({ priority: 255, advertIntervalMs: 10 });
    f.failSends();
    f.runner.start();
    vi.advanceTimersByTime(1000);
    const { sendErrors } = f.runner.status();
    expect(sendErrors).toBeGreaterThan(50);
    expect(f.errors.length).toBeLessThanOrEqual(2);
    expect(f.errors[0]).toBe(`vi1: send advert to ${GROUP}`);
    f.runner.stop();
  });

  it('a lower-priority master makes the master announce its VIPs once more, not on every advert', () => {
    const f = fixture({ priority: 255 });
    f.runner.start();
    const atStart = f.announced.length;
    expect(atStart).toBe(2);
    for (let i = 0; i < 5; i++) {
      f.receiver.onPacket(advert('198.18.0.9', 100), { family: 4, src: '198.18.0.9', dst: GROUP, ttl: 255, ifindex: 2 });
      vi.advanceTimersByTime(1000);
    }
    expect(f.announced.length - atStart).toBe(2);
    expect(f.runner.status().state).toBe('master');
    f.runner.stop();
  });
});
