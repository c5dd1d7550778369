// The resolution subsystem's vocabulary: what a lookup answered, what is known of a name, and
// which real-server entries of the config a name feeds.
import type { IpFamily } from '../net/address.js';

export type { IpFamily };

/**
 * How a lookup of one family ended. `nodata`: the name exists but has no record of that family
 * (NOERROR, empty answer); the rest are failures: the name does not exist (`nxdomain`), the
 * server could not answer (`servfail`), refused (`refused`), nothing came back in time
 * (`timeout`), or anything else (`error`, e.g. a malformed answer).
 */
export type LookupOutcome = 'ok' | 'nodata' | 'nxdomain' | 'servfail' | 'refused' | 'timeout' | 'error';

export interface AddressRecord {
  address: string;
  /** Seconds, as the answer gave it. */
  ttl: number;
}

/** The answer for one name and one family. */
export interface FamilyAnswer {
  family: IpFamily;
  outcome: LookupOutcome;
  records: readonly AddressRecord[];
  /** The resolver's words on a failure (its error code and message). */
  detail?: string;
}

/** The settings the policy reads, milliseconds (the config's `resolver` section). */
export interface ResolvePolicySettings {
  ttlFloor: number;
  ttlCeiling: number;
  hold: number;
  prefer: IpFamily;
}

/** The last lookup of a name, as status and metrics report it. */
export interface LastLookup {
  /** Epoch ms. */
  at: number;
  /** `ok`, or the failure (a name without any address is `nodata`). */
  outcome: LookupOutcome;
  detail?: string;
}

/** What is known of one name. */
export interface NameState {
  name: string;
  /** The families asked for (those some entry may use). */
  families: readonly IpFamily[];
  /** The addresses of the last good answer, per family, sorted. */
  addresses: { readonly 4: readonly string[]; readonly 6: readonly string[] };
  /** Epoch ms of the last good answer. */
  resolvedAt?: number;
  last?: LastLookup;
  /** Epoch ms of the first failed lookup since the last good one: the hold runs from here. */
  failingSince?: number;
  /** Failing longer than the hold: its addresses are no longer offered. */
  expired: boolean;
}

/** One real-server entry of the config written with a name (`address: NAME` or `discover: NAME`). */
export interface NameEntry {
  service: string;
  name: string;
  port: number;
  /** Every address of the name is a real server; else one address is. */
  discover: boolean;
  /** Families the entry may use, the one to take first first. */
  families: readonly IpFamily[];
}

/** Where an entry stands: the addresses in the config now, and the old ones kept until the new ones pass their check. */
export interface Placement {
  /** The addresses the name gives now (what the entry moves to). */
  target: readonly string[];
  /** Old addresses still in the config while a new one has not passed its check yet. */
  leaving: readonly string[];
  /** Epoch ms the move started; leaving addresses go at `since + hold` at the latest. */
  since?: number;
}
