import { describe, expect, it } from 'vitest';
import { effectiveDestinations, type EffectService, type OperatorOverride, type RealServerHealth, type Weighted } from '../../../src/health/effect.js';

const rs = (address: string, weight: number, checked = true) => ({ destination: { address, port: 80, weight }, checked });
const service = (extra: Partial<EffectService> = {}): EffectService => ({
  realServers: [rs('198.18.1.10', 10), rs('198.18.1.11', 20), rs('2001:2::12', 30)],
  onFailure: 'remove',
  quorum: 0,
  quorumHysteresis: 0,
  ...extra,
});
const sorryServer = { address: '198.18.1.99', port: 8080, weight: 1 };

const health = (entries: Record<string, RealServerHealth>): Map<string, RealServerHealth> => new Map(Object.entries(entries));
const allUp = health({ '198.18.1.10:80': { up: true }, '198.18.1.11:80': { up: true }, '[2001:2::12]:80': { up: true } });
const none = new Map<string, OperatorOverride>();

/** The destinations the kernel should hold, "address weight". */
const summary = (r: { destinations: Weighted[] }) => r.destinations.map((d) => `${d.address} ${d.weight}`);

describe('effectiveDestinations', () => {
  it('keeps up real servers at their configured weight', () => {
    const r = effectiveDestinations(service(), allUp, none);
    expect(summary(r)).toEqual(['198.18.1.10 10', '198.18.1.11 20', '2001:2::12 30']);
    expect(r).toMatchObject({ quorumMet: true, sorryServerActive: false, healthyWeight: 60 });
  });

  it('removes down real servers with on_failure remove, drains them with drain', () => {
    const states = health({ '198.18.1.10:80': { up: false }, '198.18.1.11:80': { up: true }, '[2001:2::12]:80': { up: true } });
    expect(summary(effectiveDestinations(service(), states, none))).toEqual(['198.18.1.11 20', '2001:2::12 30']);
    expect(summary(effectiveDestinations(service({ onFailure: 'drain' }), states, none))).toEqual(['198.18.1.10 0', '198.18.1.11 20', '2001:2::12 30']);
  });

  it('a real server\'s own on_failure wins over the service\'s (keepalived inhibit_on_failure per real server)', () => {
    const down = health({ '198.18.1.10:80': { up: false }, '198.18.1.11:80': { up: false }, '[2001:2::12]:80': { up: true } });
    const mixed = service({ realServers: [{ ...rs('198.18.1.10', 10), onFailure: 'drain' }, rs('198.18.1.11', 20), rs('2001:2::12', 30)] });
    expect(summary(effectiveDestinations(mixed, down, none))).toEqual(['198.18.1.10 0', '2001:2::12 30']);
    const draining = service({ onFailure: 'drain', realServers: [rs('198.18.1.10', 10), { ...rs('198.18.1.11', 20), onFailure: 'remove' }, rs('2001:2::12', 30)] });
    expect(summary(effectiveDestinations(draining, down, none))).toEqual(['198.18.1.10 0', '2001:2::12 30']);
  });

  it('treats a real server without health yet as down', () => {
    const r = effectiveDestinations(service(), health({ '198.18.1.11:80': { up: true } }), none);
    expect(summary(r)).toEqual(['198.18.1.11 20']);
  });

  it('keeps real servers of a service without any check at their configured weight', () => {
    // Only the first real server has a check (its own); it has no health yet, so it is down.
    const mixed = service({ realServers: [rs('198.18.1.10', 10), rs('198.18.1.11', 20, false), rs('2001:2::12', 30, false)] });
    expect(summary(effectiveDestinations(mixed, health({}), none))).toEqual(['198.18.1.11 20', '2001:2::12 30']);
  });

  it('uses the dynamic weight a check reported', () => {
    const states = health({ '198.18.1.10:80': { up: true, weight: 3 }, '198.18.1.11:80': { up: true, weight: 0 }, '[2001:2::12]:80': { up: true } });
    const r = effectiveDestinations(service(), states, none);
    expect(summary(r)).toEqual(['198.18.1.10 3', '198.18.1.11 0', '2001:2::12 30']);
    expect(r.healthyWeight).toBe(33);
  });

  it('lets operator overrides win over checks: disable, drain, enable', () => {
    const states = health({ '198.18.1.10:80': { up: true }, '198.18.1.11:80': { up: true }, '[2001:2::12]:80': { up: false } });
    const overrides = new Map<string, OperatorOverride>([
      ['198.18.1.10:80', 'disable'],
      ['198.18.1.11:80', 'drain'],
      ['[2001:2::12]:80', 'enable'],
    ]);
    const r = effectiveDestinations(service(), states, overrides);
    expect(summary(r)).toEqual(['198.18.1.11 0', '2001:2::12 30']);
    expect(r.healthyWeight).toBe(30);
  });

  it('with quorum lost and a sorry server, sends traffic only to the sorry server', () => {
    const svc = service({ quorum: 40, sorryServer });
    const states = health({ '198.18.1.10:80': { up: true }, '198.18.1.11:80': { up: true }, '[2001:2::12]:80': { up: false } });
    const r = effectiveDestinations(svc, states, none);
    expect(r).toMatchObject({ quorumMet: false, sorryServerActive: true, healthyWeight: 30 });
    expect(summary(r)).toEqual(['198.18.1.99 1']);
    const drained = effectiveDestinations({ ...svc, onFailure: 'drain' }, states, none);
    expect(summary(drained)).toEqual(['198.18.1.10 0', '198.18.1.11 0', '2001:2::12 0', '198.18.1.99 1']);
    expect(summary(effectiveDestinations(svc, allUp, none))).toEqual(['198.18.1.10 10', '198.18.1.11 20', '2001:2::12 30']);
  });

  it('without a sorry server, keeps the healthy remainder and reports the lost quorum', () => {
    const states = health({ '198.18.1.10:80': { up: true } });
    const r = effectiveDestinations(service({ quorum: 40 }), states, none);
    expect(r).toMatchObject({ quorumMet: false, sorryServerActive: false });
    expect(summary(r)).toEqual(['198.18.1.10 10']);
  });

  it('quorum 0 ("any") activates the sorry server only when nothing can take new connections', () => {
    const svc = service({ quorum: 0, sorryServer });
    expect(effectiveDestinations(svc, health({ '198.18.1.10:80': { up: true } }), none).sorryServerActive).toBe(false);
    expect(effectiveDestinations(svc, health({}), none).sorryServerActive).toBe(true);
    expect(effectiveDestinations(svc, health({ '198.18.1.10:80': { up: true, weight: 0 } }), none).sorryServerActive).toBe(true);
  });

  it('applies quorum hysteresis: lost below quorum - h, regained at quorum + h', () => {
    const svc = service({ quorum: 30, quorumHysteresis: 5 });
    const withWeights = (a: number, b: number) =>
      health({ '198.18.1.10:80': { up: true, weight: a }, '198.18.1.11:80': { up: true, weight: b } });
    const step = (a: number, b: number, prev: boolean | undefined) => effectiveDestinations(svc, withWeights(a, b), none, prev).quorumMet;
    expect(step(10, 20, undefined)).toBe(true); // 30 >= 30, no hysteresis on the first evaluation
    expect(step(10, 16, true)).toBe(true); // 26 >= 25: held
    expect(step(10, 14, true)).toBe(false); // 24 < 25: lost
    expect(step(10, 22, false)).toBe(false); // 32 < 35: stays lost
    expect(step(10, 25, false)).toBe(true); // 35 >= 35: regained
  });

  it('returns the destinations it was given, every field kept and the weight decided; the sorry server at its own weight', () => {
    const tun = { address: '198.18.1.10', port: 80, weight: 10, forwarding: 'tun' as const, upperThreshold: 9, lowerThreshold: 3, tunnel: { type: 'gue' as const, port: 6080, checksum: 'csum' as const } };
    const sorry = { address: '198.18.1.99', port: 80, weight: 5, forwarding: 'nat' as const, upperThreshold: 0, lowerThreshold: 0 };
    const svc: EffectService<typeof tun | typeof sorry> = { realServers: [{ destination: tun, checked: true }], onFailure: 'drain', quorum: 0, quorumHysteresis: 0, sorryServer: sorry };
    expect(effectiveDestinations(svc, health({ '198.18.1.10:80': { up: true, weight: 4 } }), none).destinations).toEqual([{ ...tun, weight: 4 }]);
    expect(effectiveDestinations(svc, health({}), none).destinations).toEqual([{ ...tun, weight: 0 }, sorry]);
  });
});
