// The resolution policy: TTL floor and ceiling, hold of a name that stops resolving,
// resolve_prefer, the stable pick of a single address, and how an entry moves (old address kept
// until the new one passes its check, at most the hold time).
import { describe, expect, it } from 'vitest';
import { MIN_INTERVAL_MS, entryKey, newNameState, placedAddresses, recordLookup, refreshIn, selectAddresses, settle } from '../../../src/resolve/policy.js';
import type { FamilyAnswer, NameEntry, ResolvePolicySettings } from '../../../src/resolve/types.js';

const S: ResolvePolicySettings = { ttlFloor: 2_000, ttlCeiling: 60_000, hold: 30_000, prefer: 4 };
const a4 = (ttl: number, ...addresses: string[]): FamilyAnswer => ({ family: 4, outcome: 'ok', records: addresses.map((address) => ({ address, ttl })) });
const a6 = (ttl: number, ...addresses: string[]): FamilyAnswer => ({ family: 6, outcome: 'ok', records: addresses.map((address) => ({ address, ttl })) });
const fail = (outcome: FamilyAnswer['outcome'], family: 4 | 6 = 4): FamilyAnswer => ({ family, outcome, records: [], detail: `E${outcome.toUpperCase()}` });
const entry = (over: Partial<NameEntry> = {}): NameEntry => ({ service: 'web', name: 'app1.lab.test', port: 80, discover: false, families: [4], ...over });

describe('TTL floor and ceiling', () => {
  it('asks again after the TTL, no sooner than the floor and no later than the ceiling', () => {
    expect(refreshIn(10, S)).toBe(10_000);
    expect(refreshIn(0, S)).toBe(2_000);
    expect(refreshIn(86_400, S)).toBe(60_000);
    // A floor of 0 and a TTL of 0 never make a busy loop.
    expect(refreshIn(0, { ...S, ttlFloor: 0 })).toBe(MIN_INTERVAL_MS);
  });

  it('the smallest TTL of the answer decides', () => {
    const step = recordLookup(newNameState('n.lab.test', [4, 6]), [a4(30, '198.18.3.1'), a6(5, '2001:2::1')], 0, S);
    expect(step.nextIn).toBe(5_000);
    expect(step.state.addresses).toEqual({ 4: ['198.18.3.1'], 6: ['2001:2::1'] });
  });
});

describe('answers and failures', () => {
  it('a first answer and a changed answer are changes; the same answer in another order is not', () => {
    const first = recordLookup(newNameState('n.lab.test', [4]), [a4(5, '198.18.3.2', '198.18.3.1')], 1_000, S);
    expect(first.events).toEqual([{ kind: 'changed', before: [], after: ['198.18.3.1', '198.18.3.2'] }]);
    expect(first.state.resolvedAt).toBe(1_000);
    expect(recordLookup(first.state, [a4(5, '198.18.3.1', '198.18.3.2')], 2_000, S).events).toEqual([]);
    expect(recordLookup(first.state, [a4(5, '198.18.3.3')], 2_000, S).events).toEqual([{ kind: 'changed', before: ['198.18.3.1', '198.18.3.2'], after: ['198.18.3.3'] }]);
  });

  it.each(['nxdomain', 'servfail', 'timeout', 'refused'] as const)('%s holds the last addresses for the hold time, then drops them', (outcome) => {
    const ok = recordLookup(newNameState('n.lab.test', [4]), [a4(5, '198.18.3.1')], 0, S).state;
    const first = recordLookup(ok, [fail(outcome)], 10_000, S);
    expect(first.events).toEqual([{ kind: 'failing', outcome, detail: `E${outcome.toUpperCase()}`, held: ['198.18.3.1'] }]);
    expect(first.state).toMatchObject({ failingSince: 10_000, expired: false, addresses: { 4: ['198.18.3.1'] }, last: { at: 10_000, outcome } });
    expect(first.nextIn).toBe(S.ttlFloor);
    expect(selectAddresses(entry(), first.state, [])).toEqual(['198.18.3.1']);
    // Still within the hold: held, nothing new to say.
    const later = recordLookup(first.state, [fail(outcome)], 39_000, S);
    expect(later.events).toEqual([]);
    expect(later.nextIn).toBe(1_000); // no later than the end of the hold
    const past = recordLookup(later.state, [fail(outcome)], 40_000, S);
    expect(past.events).toEqual([{ kind: 'expired', outcome, dropped: ['198.18.3.1'] }]);
    expect(past.state.expired).toBe(true);
    expect(selectAddresses(entry(), past.state, ['198.18.3.1'])).toEqual([]);
  });

  it('a name without an address record (NOERROR, empty) fails like NXDOMAIN', () => {
    const ok = recordLookup(newNameState('n.lab.test', [4]), [a4(5, '198.18.3.1')], 0, S).state;
    const step = recordLookup(ok, [{ family: 4, outcome: 'nodata', records: [] }], 1_000, S);
    expect(step.events[0]).toMatchObject({ kind: 'failing', outcome: 'nodata', detail: 'no A record' });
  });

  it('recovering after a failure says so and restarts the hold', () => {
    const ok = recordLookup(newNameState('n.lab.test', [4]), [a4(5, '198.18.3.1')], 0, S).state;
    const failing = recordLookup(ok, [fail('servfail')], 1_000, S).state;
    const back = recordLookup(failing, [a4(5, '198.18.3.1')], 4_000, S);
    expect(back.events).toEqual([{ kind: 'recovered', outcome: 'servfail', failingFor: 3_000 }]);
    expect(back.state.failingSince).toBeUndefined();
    // After an expiry, coming back with the same address is a change again (it had been dropped).
    const expired = recordLookup(failing, [fail('servfail')], 40_000, S).state;
    expect(recordLookup(expired, [a4(5, '198.18.3.1')], 41_000, S).events.map((e) => e.kind)).toEqual(['recovered', 'changed']);
  });

  it('one family failing beside an answered one keeps its own addresses', () => {
    const both = recordLookup(newNameState('n.lab.test', [4, 6]), [a4(5, '198.18.3.1'), a6(5, '2001:2::1')], 0, S).state;
    const step = recordLookup(both, [a4(5, '198.18.3.2'), fail('timeout', 6)], 1_000, S);
    expect(step.state.addresses).toEqual({ 4: ['198.18.3.2'], 6: ['2001:2::1'] });
    expect(step.state.failingSince).toBeUndefined();
  });
});

describe('which addresses an entry takes', () => {
  const both = recordLookup(newNameState('n.lab.test', [4, 6]), [a4(5, '198.18.3.2', '198.18.3.1'), a6(5, '2001:2::1')], 0, S).state;

  it('resolve_prefer picks the family, the other when the preferred one has none', () => {
    expect(selectAddresses(entry({ families: [6, 4] }), both, [])).toEqual(['2001:2::1']);
    expect(selectAddresses(entry({ families: [4, 6] }), both, [])).toEqual(['198.18.3.1']);
    const only6 = recordLookup(newNameState('n.lab.test', [4, 6]), [{ family: 4, outcome: 'nodata', records: [] }, a6(5, '2001:2::1')], 0, S).state;
    expect(selectAddresses(entry({ families: [4, 6] }), only6, [])).toEqual(['2001:2::1']);
    // A dr/nat entry uses its service's family only.
    expect(selectAddresses(entry({ families: [4] }), only6, [])).toEqual([]);
  });

  it('a single-address entry keeps its address while the name still gives it; discover takes all', () => {
    expect(selectAddresses(entry(), both, ['198.18.3.2'])).toEqual(['198.18.3.2']);
    expect(selectAddresses(entry(), both, ['198.18.3.9'])).toEqual(['198.18.3.1']);
    expect(selectAddresses(entry({ discover: true }), both, [])).toEqual(['198.18.3.1', '198.18.3.2']);
    expect(selectAddresses(entry(), undefined, [])).toEqual([]);
  });
});

describe('how an entry moves', () => {
  const up = (...addresses: string[]) => (a: string) => addresses.includes(a);

  it('the old address stays until the new one passes its check', () => {
    const start = settle(undefined, ['198.18.3.1'], up(), 0, 30_000);
    expect(start).toEqual({ target: ['198.18.3.1'], leaving: [] });
    const moving = settle(start, ['198.18.3.2'], up('198.18.3.1'), 1_000, 30_000);
    expect(moving).toEqual({ target: ['198.18.3.2'], leaving: ['198.18.3.1'], since: 1_000 });
    expect(placedAddresses(moving)).toEqual(['198.18.3.1', '198.18.3.2']);
    // Still waiting: the start of the move is kept.
    expect(settle(moving, ['198.18.3.2'], up('198.18.3.1'), 5_000, 30_000)).toEqual(moving);
    expect(settle(moving, ['198.18.3.2'], up('198.18.3.1', '198.18.3.2'), 6_000, 30_000)).toEqual({ target: ['198.18.3.2'], leaving: [] });
  });

  it('at most the hold time, and never for an old address that is down or a move to nothing', () => {
    const start = settle(undefined, ['198.18.3.1'], up(), 0, 30_000);
    const moving = settle(start, ['198.18.3.2'], up('198.18.3.1'), 1_000, 30_000);
    expect(settle(moving, ['198.18.3.2'], up('198.18.3.1'), 31_000, 30_000).leaving).toEqual([]);
    expect(settle(start, ['198.18.3.2'], up(), 1_000, 30_000).leaving).toEqual([]);
    expect(settle(start, [], up('198.18.3.1'), 1_000, 30_000)).toEqual({ target: [], leaving: [] });
  });

  it('a second move during the first keeps the address that served, not the one that never passed', () => {
    const start = settle(undefined, ['198.18.3.1'], up(), 0, 30_000);
    const moving = settle(start, ['198.18.3.2'], up('198.18.3.1'), 1_000, 30_000);
    expect(settle(moving, ['198.18.3.3'], up('198.18.3.1'), 2_000, 30_000)).toEqual({ target: ['198.18.3.3'], leaving: ['198.18.3.1'], since: 1_000 });
  });

  it('discover: addresses that leave the name stay while a new one is checked', () => {
    const start = settle(undefined, ['198.18.3.1', '198.18.3.2'], up(), 0, 30_000);
    const grown = settle(start, ['198.18.3.1', '198.18.3.2', '198.18.3.3'], up('198.18.3.1', '198.18.3.2'), 1_000, 30_000);
    expect(grown).toEqual({ target: ['198.18.3.1', '198.18.3.2', '198.18.3.3'], leaving: [] });
    const replaced = settle(grown, ['198.18.3.2', '198.18.3.4'], up('198.18.3.1', '198.18.3.2', '198.18.3.3'), 2_000, 30_000);
    expect(replaced.leaving).toEqual(['198.18.3.1', '198.18.3.3']);
  });

  it('keys name the service, kind, name and port', () => {
    expect(entryKey(entry())).toBe('web|app1.lab.test:80');
    expect(entryKey(entry({ discover: true }))).toBe('web|discover:app1.lab.test:80');
  });
});
