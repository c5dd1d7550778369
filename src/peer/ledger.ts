// The conflict rule of the peer protocol, as a pure map of records: per key, last writer wins,
// ordered by (at, node). Both nodes apply the same rule to the same records, so whatever order
// the records arrive in (live, or in the snapshot sent on reconnect), both end with the same
// winner per key: the state converges without either node being "the master" of the overrides.
//
// Why last-writer-wins and not "the VRRP master decides": an operator drains a server on the node
// they are logged in to, which may well be the backup; and a node that was down must catch up
// from the other, whichever role it comes back in. Why (at, node): two operators changing one
// server within the same millisecond on both nodes still get one winner (the node name breaks
// the tie), the same on both sides. Clocks: a local change is stamped later than any record of
// its key already seen (max(now, last + 1)), so a node whose clock is behind still overrides what
// it has been shown; an ntp-synced pair needs nothing more.
import { recordKey, type ChangeRecord } from './types.js';

/** Whether `a` wins over `b` (same key). Equal stamps from the same node are the same record: no. */
export function supersedes(a: ChangeRecord, b: ChangeRecord): boolean {
  return a.at > b.at || (a.at === b.at && a.node > b.node);
}

export class Ledger {
  private readonly records = new Map<string, ChangeRecord>();

  constructor(records: Iterable<ChangeRecord> = []) {
    for (const r of records) this.apply(r);
  }

  /** Takes `r` when it wins over what the ledger holds for its key; true when it did. */
  apply(r: ChangeRecord): boolean {
    const key = recordKey(r);
    const held = this.records.get(key);
    if (held && !supersedes(r, held)) return false;
    this.records.set(key, r);
    return true;
  }

  /** A record of this node's operator, stamped after any record of its key (see the header). */
  stamp(change: Omit<ChangeRecord, 'at' | 'node'>, node: string, now: number): ChangeRecord {
    const held = this.records.get(recordKey(change));
    const at = held ? Math.max(now, held.at + 1) : now;
    return { ...change, at, node };
  }

  get(key: Pick<ChangeRecord, 'kind' | 'service' | 'realServer'>): ChangeRecord | undefined {
    return this.records.get(recordKey(key));
  }

  /** Every record, tombstones (`clear`) included: what a snapshot to the peer and the state file hold. */
  all(): ChangeRecord[] {
    return [...this.records.values()];
  }

  /** The records in force (tombstones left out). */
  active(): ChangeRecord[] {
    return this.all().filter((r) => r.value !== 'clear');
  }

  /** Drops the records `keep` refuses (e.g. of services the config no longer has); true when any went. */
  retain(keep: (r: ChangeRecord) => boolean): boolean {
    let dropped = false;
    for (const [key, r] of this.records) {
      if (keep(r)) continue;
      this.records.delete(key);
      dropped = true;
    }
    return dropped;
  }
}
