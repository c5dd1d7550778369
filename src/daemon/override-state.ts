// The operator's overrides (`lvsd drain / disable / enable`), kept in
// `<ipvs.state_dir>/overrides.json` so they outlive a reload, a restart and a crash: a real
// server drained for maintenance must not come back into service because lvsd restarted. Each
// override says where it came from (the local CLI, or the peer node) and when it was set, which
// `lvsd status` reports.
import type { OperatorOverride } from '../health/index.js';
import { readStateFile, StateFileWriter } from './state-file.js';

export const OVERRIDE_FILE = 'overrides.json';

export type OverrideSource = 'cli' | 'peer';

export interface StoredOverride {
  /** Service name, as in the config. */
  service: string;
  /** "address:port" of the real server; absent: the whole service. */
  realServer?: string;
  override: OperatorOverride;
  source: OverrideSource;
  /** Epoch ms when it was set. */
  at: number;
}

interface OverrideFile {
  version: 1;
  overrides: StoredOverride[];
}

const OVERRIDES = new Set<string>(['drain', 'enable', 'disable']);
const SOURCES = new Set<string>(['cli', 'peer']);

/** The overrides of the file's text; throws with the reason when it is not one. */
export function parseOverrideState(text: string): StoredOverride[] {
  const doc = JSON.parse(text) as Partial<OverrideFile>;
  if (doc.version !== 1 || !Array.isArray(doc.overrides)) throw new Error('not an lvsd override file (version 1)');
  return doc.overrides.map((v: unknown, i) => {
    const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    const ok =
      typeof o.service === 'string' &&
      (o.realServer === undefined || typeof o.realServer === 'string') &&
      typeof o.override === 'string' &&
      OVERRIDES.has(o.override) &&
      typeof o.source === 'string' &&
      SOURCES.has(o.source) &&
      typeof o.at === 'number';
    if (!ok) throw new Error(`overrides[${i}] is not an override`);
    const out: StoredOverride = { service: o.service as string, override: o.override as OperatorOverride, source: o.source as OverrideSource, at: o.at as number };
    if (typeof o.realServer === 'string') out.realServer = o.realServer;
    return out;
  });
}

export function formatOverrideState(overrides: readonly StoredOverride[]): string {
  const key = (o: StoredOverride): string => `${o.service}|${o.realServer ?? ''}`;
  const sorted = [...overrides].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  const plain = sorted.map((o) => ({ service: o.service, ...(o.realServer !== undefined ? { realServer: o.realServer } : {}), override: o.override, source: o.source, at: o.at }));
  return `${JSON.stringify({ version: 1, overrides: plain } satisfies OverrideFile, null, 1)}\n`;
}

/** The recorded overrides; none when there is no file. Throws on a broken one. */
export async function readOverrideState(dir: string): Promise<StoredOverride[]> {
  const text = await readStateFile(dir, OVERRIDE_FILE);
  return text === undefined ? [] : parseOverrideState(text);
}

/** The writer of this file (atomic, in order, unchanged contents skipped). */
export function overrideStateWriter(dir: () => string): StateFileWriter<readonly StoredOverride[]> {
  return new StateFileWriter(dir, OVERRIDE_FILE, formatOverrideState);
}
