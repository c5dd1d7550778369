// The decisions of name resolution, as pure functions of what was answered and the clock:
// when to ask again (the TTL between a floor and a ceiling), what a failure does (the last
// addresses are held, then dropped after the hold time), which addresses an entry takes
// (resolve_prefer, a stable pick for a single-address entry) and how an entry moves (the old
// address stays until the new one has passed its check). No I/O: follower.ts runs it.
import type { FamilyAnswer, IpFamily, LookupOutcome, NameEntry, NameState, Placement, ResolvePolicySettings } from './types.js';

/**
 * No name is asked more often than this, whatever the floor says: with `ttl_floor: 0s` and a
 * TTL of 0 (dnsmasq's default for its hosts file) a lookup would follow the last at once, forever.
 */
export const MIN_INTERVAL_MS = 250;

const NO_ADDRESSES = { 4: [] as readonly string[], 6: [] as readonly string[] };

export function newNameState(name: string, families: readonly IpFamily[]): NameState {
  return { name, families, addresses: NO_ADDRESSES, expired: false };
}

/** What a lookup changed, for the log and the config. */
export type NameEvent =
  | { kind: 'changed'; before: readonly string[]; after: readonly string[] }
  | { kind: 'failing'; outcome: LookupOutcome; detail?: string; held: readonly string[] }
  | { kind: 'expired'; outcome: LookupOutcome; dropped: readonly string[] }
  | { kind: 'recovered'; outcome: LookupOutcome; failingFor: number };

export interface LookupStep {
  state: NameState;
  /** Milliseconds until the next lookup. */
  nextIn: number;
  events: NameEvent[];
}

/** The TTL of an answer (the smallest of its records), within floor and ceiling, in ms. */
export function refreshIn(ttlSeconds: number, s: ResolvePolicySettings): number {
  return Math.max(MIN_INTERVAL_MS, Math.min(s.ttlCeiling, Math.max(s.ttlFloor, ttlSeconds * 1000)));
}

const FAILURE_ORDER: readonly LookupOutcome[] = ['nxdomain', 'servfail', 'refused', 'timeout', 'error', 'nodata'];
const isFailure = (o: LookupOutcome): boolean => o !== 'ok' && o !== 'nodata';
const sortedUnique = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();
const allOf = (a: NameState['addresses']): string[] => [...a[4], ...a[6]];
const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Takes the answers of one round (one per family asked). A round where every family failed, or
 * none has an address, is a failure: the last addresses are held (`failing`), and dropped once
 * the name has failed for the hold time (`expired`). Otherwise the answered families replace
 * their addresses (one that failed beside an answered one keeps its own), and the next lookup
 * is at the smallest TTL within floor and ceiling.
 */
export function recordLookup(state: NameState, answers: readonly FamilyAnswer[], now: number, s: ResolvePolicySettings): LookupStep {
  const answered = answers.filter((a) => a.outcome === 'ok' && a.records.length > 0);
  if (answered.length === 0) return recordFailure(state, answers, now, s);
  const addresses = { 4: state.addresses[4], 6: state.addresses[6] };
  for (const a of answers) {
    if (isFailure(a.outcome)) continue;
    addresses[a.family] = sortedUnique(a.records.map((r) => r.address));
  }
  const ttl = Math.min(...answered.flatMap((a) => a.records.map((r) => r.ttl)));
  const events: NameEvent[] = [];
  const before = state.expired ? [] : allOf(state.addresses);
  const after = allOf(addresses);
  if (state.failingSince !== undefined) events.push({ kind: 'recovered', outcome: state.last?.outcome ?? 'error', failingFor: now - state.failingSince });
  if (!same(before, after)) events.push({ kind: 'changed', before, after });
  const next: NameState = { name: state.name, families: state.families, addresses, resolvedAt: now, last: { at: now, outcome: 'ok' }, expired: false };
  return { state: next, nextIn: refreshIn(ttl, s), events };
}

function recordFailure(state: NameState, answers: readonly FamilyAnswer[], now: number, s: ResolvePolicySettings): LookupStep {
  // The answer that says most: a name that does not exist over one that timed out, and so on.
  const worst = [...answers].sort((a, b) => FAILURE_ORDER.indexOf(a.outcome) - FAILURE_ORDER.indexOf(b.outcome))[0];
  const outcome: LookupOutcome = worst === undefined || worst.outcome === 'ok' ? 'nodata' : worst.outcome;
  const detail = worst?.detail ?? (outcome === 'nodata' ? `no ${state.families.map((f) => (f === 4 ? 'A' : 'AAAA')).join(' or ')} record` : undefined);
  const failingSince = state.failingSince ?? now;
  const held = allOf(state.addresses);
  const expired = held.length > 0 && now - failingSince >= s.hold;
  const events: NameEvent[] = [];
  if (state.failingSince === undefined) events.push({ kind: 'failing', outcome, ...(detail !== undefined ? { detail } : {}), held });
  if (expired && !state.expired) events.push({ kind: 'expired', outcome, dropped: held });
  const retry = Math.max(MIN_INTERVAL_MS, s.ttlFloor);
  // While held, the next try also comes no later than the end of the hold.
  const nextIn = expired || held.length === 0 ? retry : Math.max(MIN_INTERVAL_MS, Math.min(retry, failingSince + s.hold - now));
  const next: NameState = { ...state, last: { at: now, outcome, ...(detail !== undefined ? { detail } : {}) }, failingSince, expired };
  return { state: next, nextIn, events };
}

/** The addresses a name offers: none once it has failed beyond the hold. */
export function offered(state: NameState | undefined, family: IpFamily): readonly string[] {
  return !state || state.expired ? [] : state.addresses[family];
}

/**
 * The addresses an entry takes: from the first of its families (resolve_prefer first) that has
 * any; all of them for `discover`, else one. A single-address entry keeps the address it has
 * while the name still gives it, so a name with several records (rotated by the server) does
 * not move the real server at every lookup; a new pick is the lowest address.
 */
export function selectAddresses(entry: NameEntry, state: NameState | undefined, current: readonly string[]): string[] {
  for (const family of entry.families) {
    const addresses = offered(state, family);
    if (addresses.length === 0) continue;
    if (entry.discover) return [...addresses];
    const kept = current.find((a) => addresses.includes(a));
    return [kept ?? (addresses[0] as string)];
  }
  return [];
}

/**
 * Where an entry goes next. New addresses enter the config at once (their check runs before
 * they get traffic); an old address that is up stays while any new one has not passed its
 * check yet, at most the hold time from the start of the move, and then leaves (drained, as a
 * config removal is). An old address that is down, or a move to no address at all, leaves at once.
 */
export function settle(prev: Placement | undefined, target: readonly string[], isUp: (address: string) => boolean, now: number, hold: number): Placement {
  if (!prev) return { target: [...target], leaving: [] };
  const was = sortedUnique([...prev.target, ...prev.leaving]);
  const candidates = was.filter((a) => !target.includes(a));
  const waiting = target.some((a) => !isUp(a));
  const since = prev.since ?? now;
  const leaving = target.length > 0 && waiting && now - since < hold ? candidates.filter(isUp) : [];
  return leaving.length > 0 ? { target: [...target], leaving, since } : { target: [...target], leaving: [] };
}

/** The addresses an entry has in the config. */
export function placedAddresses(p: Placement | undefined): string[] {
  return p ? sortedUnique([...p.target, ...p.leaving]) : [];
}

/** A short key for an entry: service, kind and name, port. */
export function entryKey(e: Pick<NameEntry, 'service' | 'name' | 'port' | 'discover'>): string {
  return `${e.service}|${e.discover ? 'discover:' : ''}${e.name}:${e.port}`;
}
