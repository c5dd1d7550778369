// A VrrpInstance on a fake monotonic clock, with helpers to feed adverts and to run its timers
// the way runner.ts does (fire the earliest armed timer when the clock reaches it).
import type { InstanceAction, InstanceEvent, TimerKind } from '../../../src/vrrp/instance.js';
import { VrrpInstance } from '../../../src/vrrp/instance.js';
import type { ChecksumVariant } from '../../../src/vrrp/checksum.js';
import type { VrrpAdvert } from '../../../src/vrrp/packet.js';
import { DEFAULT_GARP, type InstanceSettings } from '../../../src/vrrp/settings.js';

export function settings(overrides: Partial<InstanceSettings> = {}): InstanceSettings {
  return {
    name: 'vi1',
    interface: 'eth0',
    family: 4,
    vrid: 10,
    priority: 100,
    version: 3,
    advertIntervalMs: 1000,
    preempt: true,
    preemptDelayMs: 0,
    accept: true,
    checksum: 'auto',
    primaryAddress: '198.18.0.2',
    unicastPeers: [],
    unicastMinTtl: 255,
    vips: [{ address: '198.18.0.100', prefix: 24 }],
    garp: DEFAULT_GARP,
    ...overrides,
  };
}

export class Harness {
  time = 1000;
  readonly instance: VrrpInstance;
  readonly log: InstanceAction[] = [];
  private readonly timers = new Map<TimerKind, number>();

  constructor(s: Partial<InstanceSettings> = {}) {
    this.instance = new VrrpInstance(settings(s), () => this.time);
  }

  handle(event: InstanceEvent): InstanceAction[] {
    return this.apply(this.instance.handle(event));
  }

  apply(actions: InstanceAction[]): InstanceAction[] {
    for (const a of actions) {
      if (a.type === 'arm') this.timers.set(a.timer, a.at);
      if (a.type === 'disarm') this.timers.delete(a.timer);
    }
    this.log.push(...actions);
    return actions;
  }

  start(): InstanceAction[] {
    return this.handle({ type: 'start' });
  }

  get state(): string {
    return this.instance.currentState;
  }

  deadline(timer: TimerKind): number | undefined {
    return this.timers.get(timer);
  }

  /** Advances the clock to `until`, firing due timers in order; returns everything they did. */
  advance(ms: number): InstanceAction[] {
    const until = this.time + ms;
    const out: InstanceAction[] = [];
    for (let guard = 0; guard < 10_000; guard++) {
      let next: [TimerKind, number] | undefined;
      for (const entry of this.timers) if (!next || entry[1] < next[1]) next = entry;
      if (!next || next[1] > until) break;
      this.time = Math.max(this.time, next[1]);
      this.timers.delete(next[0]);
      out.push(...this.handle({ type: 'timer', timer: next[0] }));
    }
    this.time = until;
    return out;
  }

  /** An advert from `src` with the instance's VIPs and interval unless overridden. */
  receive(
    src: string,
    priority: number,
    extra: { intervalCs?: number; checksum?: ChecksumVariant; advert?: Partial<VrrpAdvert>; ttl?: number; dst?: string } = {},
  ): InstanceAction[] {
    const s = this.instance.settings;
    const addresses = s.vips.map((v) => v.address);
    const advert: VrrpAdvert =
      s.version === 2
        ? { version: 2, vrid: s.vrid, priority, authType: 0, advertIntervalSec: s.advertIntervalMs / 1000, addresses }
        : { version: 3, vrid: s.vrid, priority, maxAdvertIntervalCs: extra.intervalCs ?? s.advertIntervalMs / 10, addresses };
    const dst = extra.dst ?? (s.family === 4 ? '224.0.0.18' : 'ff02::12');
    return this.handle({
      type: 'advert',
      advert: { ...advert, ...extra.advert } as VrrpAdvert,
      src,
      dst,
      ttl: extra.ttl ?? 255,
      checksum: extra.checksum ?? 'pseudo-header',
    });
  }
}

export const sent = (actions: InstanceAction[]): number[] =>
  actions.flatMap((a) => (a.type === 'send-advert' ? [a.advert.priority] : []));

export const states = (actions: InstanceAction[]): string[] =>
  actions.flatMap((a) => (a.type === 'state' ? [`${a.from}->${a.to}:${a.reason}`] : []));

export const kinds = (actions: InstanceAction[]): string[] => actions.map((a) => a.type);
