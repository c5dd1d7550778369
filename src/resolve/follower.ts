// The shell around policy.ts: one timer per name, lookups through a NameLookup (lookup.ts),
// the placements of the entries, the log lines, and a call to `onChange` whenever the config
// the daemon runs on would differ (a name moved, failed past its hold, or a new address passed
// its check so the old one can leave). The daemon answers by re-materializing the config and
// reconciling the services that changed (a small reload); nothing here touches IPVS.
import type { Config } from '../config/types.js';
import { caresLookup, type NameLookup } from './lookup.js';
import { familiesByName, materialize, nameEntries, type Materialized } from './materialize.js';
import { entryKey, newNameState, placedAddresses, recordLookup, selectAddresses, settle, type NameEvent } from './policy.js';
import type { IpFamily, LastLookup, LookupOutcome, NameEntry, NameState, Placement, ResolvePolicySettings } from './types.js';

export interface FollowerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FollowerDeps {
  log: FollowerLogger;
  /** Whether a real server passes its check (true for one without a check). */
  isUp: (service: string, address: string, port: number) => boolean;
  /** The materialized config may differ now. */
  onChange: () => void;
  /** Default: c-ares with the config's resolver settings. */
  lookup?: (config: Config) => NameLookup;
  /** Counted by the daemon's metrics. */
  onLookup?: (name: string, outcome: LookupOutcome) => void;
  now?: () => number;
}

/** What was known of the names and entries, as the state file keeps it. */
export interface SavedNames {
  names: Array<Pick<NameState, 'name' | 'addresses' | 'resolvedAt' | 'last' | 'failingSince'>>;
  placements: Array<{ entry: string } & Placement>;
}

/** One name as `lvsd status` and the metrics show it. */
export interface NameStatus {
  name: string;
  /** The addresses it gives now (none once expired). */
  addresses: string[];
  resolvedAt?: number;
  last?: LastLookup;
  /** Failing since then, its last addresses held until `holdUntil`. */
  failingSince?: number;
  holdUntil?: number;
  expired: boolean;
  /** The entries it feeds and the addresses each has in the config. */
  entries: Array<{ service: string; port: number; discover: boolean; placed: string[]; leaving: string[] }>;
}

const policySettings = (config: Config): ResolvePolicySettings => ({
  ttlFloor: config.resolver.ttl_floor,
  ttlCeiling: config.resolver.ttl_ceiling,
  hold: config.resolver.hold,
  prefer: config.resolver.resolve_prefer === 'ipv6' ? 6 : 4,
});

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export class NameFollower {
  private settings: ResolvePolicySettings | undefined;
  private lookupKey = '';
  private resolver: NameLookup | undefined;
  private entries: NameEntry[] = [];
  private readonly names = new Map<string, NameState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** The first lookup of each name (start and reload wait for those of new names). */
  private readonly first = new Map<string, { answered: Promise<void>; resolve: () => void }>();
  private readonly placements = new Map<string, Placement>();
  /** Skipped addresses already reported, so a repeated materialize does not repeat the warning. */
  private reportedSkips = new Set<string>();
  private holdTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly deps: FollowerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Names of the config (written form) to follow; new ones are looked up at once, dropped ones forgotten. */
  configure(config: Config): void {
    this.settings = policySettings(config);
    const r = config.resolver;
    const key = JSON.stringify([r.nameservers, r.timeout, r.retries]);
    if (key !== this.lookupKey || !this.resolver) {
      this.resolver?.cancel();
      this.resolver = (this.deps.lookup ?? ((c: Config) => caresLookup({ nameservers: c.resolver.nameservers, timeout: c.resolver.timeout, retries: c.resolver.retries })))(config);
      this.lookupKey = key;
    }
    this.entries = nameEntries(config);
    const families = familiesByName(this.entries);
    for (const name of [...this.names.keys()]) {
      if (families.has(name)) continue;
      clearTimeout(this.timers.get(name));
      this.timers.delete(name);
      this.names.delete(name);
      this.first.get(name)?.resolve();
      this.first.delete(name);
    }
    const keys = new Set(this.entries.map(entryKey));
    for (const k of [...this.placements.keys()]) if (!keys.has(k)) this.placements.delete(k);
    for (const [name, fams] of families) {
      const known = this.names.get(name);
      if (known && sameList(known.families.map(String), fams.map(String))) continue;
      this.names.set(name, known ? { ...known, families: fams } : newNameState(name, fams));
      this.schedule(name, 0);
    }
  }

  /** Takes back what a previous run knew (before the first lookups answer); unknown names and entries are ignored. */
  restore(saved: SavedNames): void {
    for (const s of saved.names) {
      const known = this.names.get(s.name);
      if (!known) continue;
      this.names.set(s.name, { ...known, addresses: s.addresses, ...(s.resolvedAt !== undefined ? { resolvedAt: s.resolvedAt } : {}), ...(s.last ? { last: s.last } : {}), ...(s.failingSince !== undefined ? { failingSince: s.failingSince } : {}) });
    }
    const keys = new Set(this.entries.map(entryKey));
    for (const p of saved.placements) if (keys.has(p.entry)) this.placements.set(p.entry, { target: p.target, leaving: p.leaving, ...(p.since !== undefined ? { since: p.since } : {}) });
  }

  /**
   * Waits for the first lookup of every name without a known address (none saved by the last
   * run), bounded by the resolver's own timeout and tries: a start or reload then programs
   * the addresses at once rather than a moment later.
   */
  async firstLookups(): Promise<void> {
    const waits = [...this.first].filter(([name]) => (this.names.get(name)?.addresses[4].length ?? 0) + (this.names.get(name)?.addresses[6].length ?? 0) === 0);
    await Promise.all(waits.map(([, f]) => f.answered));
  }

  /**
   * The config to run: `config` (the written form) with each named entry at its addresses.
   * Moves the placements on (policy.settle) and logs what moved; call it when applying.
   */
  materialize(config: Config): Materialized {
    const now = this.now();
    const hold = this.settings?.hold ?? config.resolver.hold;
    for (const e of this.entries) {
      const key = entryKey(e);
      const prev = this.placements.get(key);
      const target = selectAddresses(e, this.names.get(e.name), prev?.target ?? []);
      const next = settle(prev, target, (a) => this.deps.isUp(e.service, a, e.port), now, hold);
      this.placements.set(key, next);
      this.logMove(e, prev, next);
    }
    const out = materialize(config, (key) => placedAddresses(this.placements.get(key)));
    const skips = new Set(out.skipped.map((s) => `${s.service}|${s.name}|${s.address}|${s.why}`));
    for (const s of out.skipped) {
      if (!this.reportedSkips.has(`${s.service}|${s.name}|${s.address}|${s.why}`)) this.deps.log.warn({ service: s.service, name: s.name, address: s.address }, `${s.service}/${s.name}: ${s.address} is left out: ${s.why}`);
    }
    this.reportedSkips = skips;
    this.armHold(now, hold);
    return out;
  }

  /** A health verdict changed: an entry waiting for its new address to pass may move on. */
  healthChanged(): void {
    for (const p of this.placements.values()) {
      if (p.leaving.length > 0) {
        this.deps.onChange();
        return;
      }
    }
  }

  status(): NameStatus[] {
    const hold = this.settings?.hold ?? 0;
    return [...this.names.values()].map((n) => ({
      name: n.name,
      addresses: n.expired ? [] : [...n.addresses[4], ...n.addresses[6]],
      ...(n.resolvedAt !== undefined ? { resolvedAt: n.resolvedAt } : {}),
      ...(n.last ? { last: n.last } : {}),
      ...(n.failingSince !== undefined ? { failingSince: n.failingSince, holdUntil: n.failingSince + hold } : {}),
      expired: n.expired,
      entries: this.entries
        .filter((e) => e.name === n.name)
        .map((e) => {
          const p = this.placements.get(entryKey(e));
          return { service: e.service, port: e.port, discover: e.discover, placed: placedAddresses(p), leaving: [...(p?.leaving ?? [])] };
        }),
    }));
  }

  snapshot(): SavedNames {
    return {
      names: [...this.names.values()].map((n) => ({
        name: n.name,
        addresses: n.addresses,
        ...(n.resolvedAt !== undefined ? { resolvedAt: n.resolvedAt } : {}),
        ...(n.last ? { last: n.last } : {}),
        ...(n.failingSince !== undefined ? { failingSince: n.failingSince } : {}),
      })),
      placements: [...this.placements].map(([entry, p]) => ({ entry, ...p })),
    };
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const f of this.first.values()) f.resolve();
    clearTimeout(this.holdTimer);
    this.resolver?.cancel();
  }

  private schedule(name: string, delay: number): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(name));
    if (!this.first.has(name)) {
      let resolve: () => void = () => undefined;
      const answered = new Promise<void>((r) => (resolve = r));
      this.first.set(name, { answered, resolve });
    }
    const timer = setTimeout(() => {
      this.timers.delete(name);
      void this.lookup(name).finally(() => this.first.get(name)?.resolve());
    }, delay);
    timer.unref();
    this.timers.set(name, timer);
  }

  private async lookup(name: string): Promise<void> {
    const state = this.names.get(name);
    const resolver = this.resolver;
    if (!state || !resolver || !this.settings) return;
    const answers = await Promise.all(state.families.map((f: IpFamily) => resolver.lookup(name, f)));
    // Forgotten, re-asked (a reload changed its families) or restored while the answer was on its way.
    if (this.stopped || this.names.get(name) !== state) {
      if (!this.stopped && this.names.has(name) && !this.timers.has(name)) this.schedule(name, 0);
      return;
    }
    const step = recordLookup(state, answers, this.now(), this.settings);
    this.names.set(name, step.state);
    this.deps.onLookup?.(name, step.state.last?.outcome ?? 'error');
    for (const ev of step.events) this.logEvent(name, ev);
    this.schedule(name, step.nextIn);
    if (step.events.some((e) => e.kind === 'changed' || e.kind === 'expired')) this.deps.onChange();
  }

  private users(name: string): string {
    return [...new Set(this.entries.filter((e) => e.name === name).map((e) => e.service))].join(', ');
  }

  private logEvent(name: string, ev: NameEvent): void {
    const services = this.users(name);
    switch (ev.kind) {
      case 'failing':
        this.deps.log.warn(
          { name, outcome: ev.outcome, detail: ev.detail, held: ev.held, services },
          ev.held.length > 0
            ? `${name} does not resolve (${ev.outcome}${ev.detail ? `: ${ev.detail}` : ''}); keeping ${ev.held.join(', ')} for ${services} for up to ${Math.round((this.settings?.hold ?? 0) / 1000)} s`
            : `${name} does not resolve (${ev.outcome}${ev.detail ? `: ${ev.detail}` : ''}); ${services} has no address for it yet`,
        );
        break;
      case 'expired':
        this.deps.log.error({ name, outcome: ev.outcome, dropped: ev.dropped, services }, `${name} has not resolved for the hold time (${ev.outcome}); ${ev.dropped.join(', ')} leave ${services}`);
        break;
      case 'recovered':
        this.deps.log.info({ name, failingFor: ev.failingFor }, `${name} resolves again after ${Math.round(ev.failingFor / 1000)} s of ${ev.outcome}`);
        break;
      case 'changed':
        this.deps.log.info({ name, before: ev.before, after: ev.after }, `${name} resolves to ${ev.after.join(', ') || 'nothing'}`);
        break;
    }
  }

  private logMove(e: NameEntry, prev: Placement | undefined, next: Placement): void {
    const before = prev?.target ?? [];
    if (sameList(before, next.target)) return;
    const who = `${e.service}/${e.name}`;
    const fields = { service: e.service, name: e.name, before, after: next.target, keeping: next.leaving };
    if (!e.discover && before.length === 1 && next.target.length === 1) {
      this.deps.log.info(fields, `${who} changed its address from ${before[0]} to ${next.target[0]}`);
    } else if (before.length === 0) {
      this.deps.log.info(fields, `${who} resolved to ${next.target.join(', ')}`);
    } else {
      const added = next.target.filter((a) => !before.includes(a));
      const removed = before.filter((a) => !next.target.includes(a));
      this.deps.log.info(fields, `${who} changed its addresses: ${[...added.map((a) => `+${a}`), ...removed.map((a) => `-${a}`)].join(' ')}`);
    }
  }

  /** Old addresses kept for a move leave at the end of the hold even if no check ever passes. */
  private armHold(now: number, hold: number): void {
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    const ends = [...this.placements.values()].filter((p) => p.leaving.length > 0 && p.since !== undefined).map((p) => (p.since as number) + hold);
    if (ends.length === 0 || this.stopped) return;
    this.holdTimer = setTimeout(() => this.deps.onChange(), Math.max(0, Math.min(...ends) - now) + 1);
    this.holdTimer.unref();
  }
}
