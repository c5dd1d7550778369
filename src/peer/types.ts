// What the nodes of a pair tell each other: the operator's runtime changes, one record per thing
// changed. A record is the whole last word on its key (not a delta), so applying the same record
// twice, or an older one after a newer, changes nothing (ledger.ts says which one wins).

/** An operator override of a real server or a whole service (`lvsd drain / disable / enable --force`). */
export type OverrideValue = 'drain' | 'disable' | 'enable';

/**
 * - override: `value` is drain, disable or enable (forced in service);
 * - server: a real server changed at runtime (`lvsd add-server / remove-server`): `value` is add
 *   (with `weight`) or remove.
 * `clear` in either means "as the file and the checks say": kept as a tombstone, so that an older
 * record the other node still holds cannot bring the change back when it reconnects.
 */
export type RecordKind = 'override' | 'server';
export type RecordValue = OverrideValue | 'add' | 'remove' | 'clear';

export interface ChangeRecord {
  kind: RecordKind;
  /** Service name, as in the config. */
  service: string;
  /** "address:port" (brackets for IPv6); absent only for an override of a whole service. */
  realServer?: string;
  value: RecordValue;
  /** With value add: the weight of the added real server. */
  weight?: number;
  /** Epoch ms when it was set; with `node`, what orders two records of one key. */
  at: number;
  /** The node whose operator set it. */
  node: string;
}

/** One key per thing a record can change. */
export function recordKey(r: Pick<ChangeRecord, 'kind' | 'service' | 'realServer'>): string {
  return `${r.kind}|${r.service}|${r.realServer ?? ''}`;
}
