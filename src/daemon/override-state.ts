// The operator's runtime changes (`lvsd drain / disable / enable`, `lvsd add-server /
// remove-server`), kept in `<ipvs.state_dir>/overrides.json` so they outlive a reload, a restart
// and a crash: a real server drained for maintenance must not come back into service because
// lvsd restarted. The file holds the records the peer protocol exchanges (src/peer/types.ts),
// cleared ones too: a node that restarts must still know that a drain it holds was lifted later,
// or the older record would come back from the other node's snapshot. Each record names the node
// whose operator set it and when, which `lvsd status` reports (this node's CLI, or the peer).
import type { OperatorOverride } from '../health/index.js';
import { decodeRecord } from '../peer/codec.js';
import type { ChangeRecord } from '../peer/types.js';
import { readStateFile, StateFileWriter } from './state-file.js';

export const OVERRIDE_FILE = 'overrides.json';

export type OverrideSource = 'cli' | 'peer';

/** An override in force, as the IPVS manager applies it and status reports it. */
export interface StoredOverride {
  /** Service name, as in the config. */
  service: string;
  /** "address:port" of the real server; absent: the whole service. */
  realServer?: string;
  override: OperatorOverride;
  source: OverrideSource;
  /** Epoch ms when it was set. */
  at: number;
  /** The node whose operator set it (this one for source cli). */
  node?: string;
}

interface OverrideFile {
  version: 2;
  records: ChangeRecord[];
}

const V1_OVERRIDES = new Set<string>(['drain', 'enable', 'disable']);

/** Version 1 (before the peer protocol): overrides in force only, each with its source. */
function fromVersion1(overrides: unknown[], node: string): ChangeRecord[] {
  return overrides.map((v, i) => {
    const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    const ok =
      typeof o.service === 'string' &&
      (o.realServer === undefined || typeof o.realServer === 'string') &&
      typeof o.override === 'string' &&
      V1_OVERRIDES.has(o.override) &&
      (o.source === 'cli' || o.source === 'peer') &&
      typeof o.at === 'number';
    if (!ok) throw new Error(`overrides[${i}] is not an override`);
    const r: ChangeRecord = { kind: 'override', service: o.service as string, value: o.override as OperatorOverride, at: o.at as number, node: o.source === 'cli' ? node : 'peer' };
    if (typeof o.realServer === 'string') r.realServer = o.realServer;
    return r;
  });
}

/** The records of the file's text (`node`: this node, the owner of a version 1 file's cli overrides); throws with the reason when it is not one. */
export function parseOverrideState(text: string, node: string): ChangeRecord[] {
  const doc = JSON.parse(text) as { version?: unknown; overrides?: unknown; records?: unknown };
  if (doc.version === 1 && Array.isArray(doc.overrides)) return fromVersion1(doc.overrides, node);
  if (doc.version !== 2 || !Array.isArray(doc.records)) throw new Error('not an lvsd override file (version 1 or 2)');
  return doc.records.map((v: unknown, i) => {
    const r = decodeRecord(v);
    if (!r) throw new Error(`records[${i}] is not a runtime change`);
    return r;
  });
}

export function formatOverrideState(records: readonly ChangeRecord[]): string {
  const key = (r: ChangeRecord): string => `${r.kind}|${r.service}|${r.realServer ?? ''}`;
  const sorted = [...records].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  return `${JSON.stringify({ version: 2, records: sorted } satisfies OverrideFile, null, 1)}\n`;
}

/** The recorded changes; none when there is no file. Throws on a broken one. */
export async function readOverrideState(dir: string, node: string): Promise<ChangeRecord[]> {
  const text = await readStateFile(dir, OVERRIDE_FILE);
  return text === undefined ? [] : parseOverrideState(text, node);
}

/** The writer of this file (atomic, in order, unchanged contents skipped). */
export function overrideStateWriter(dir: () => string): StateFileWriter<readonly ChangeRecord[]> {
  return new StateFileWriter(dir, OVERRIDE_FILE, formatOverrideState);
}

/** The overrides in force among `records`, as the IPVS manager takes them; `self`: this node's name. */
export function overridesInForce(records: readonly ChangeRecord[], self: string): StoredOverride[] {
  return records.flatMap((r): StoredOverride[] => {
    if (r.kind !== 'override' || r.value === 'clear' || r.value === 'add' || r.value === 'remove') return [];
    const o: StoredOverride = { service: r.service, override: r.value, source: r.node === self ? 'cli' : 'peer', at: r.at, node: r.node };
    if (r.realServer !== undefined) o.realServer = r.realServer;
    return [o];
  });
}
