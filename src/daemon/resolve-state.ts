// The addresses real servers given by DNS name had, kept in `<ipvs.state_dir>/names.json`, so a
// restart (also after a crash) starts with the last known addresses rather than with none until
// the first answer, keeps holding a name that had stopped resolving from when it stopped, and
// finishes a move in progress. Saved after each change and at stop. Names and entries the config
// no longer has are not used. A corrupt or foreign file is reported and ignored, never fatal.
import { parseIp } from '../net/address.js';
import type { SavedNames } from '../resolve/follower.js';
import type { LookupOutcome } from '../resolve/types.js';
import { readStateFile, StateFileWriter } from './state-file.js';

export const NAMES_FILE = 'names.json';

const OUTCOMES: ReadonlySet<string> = new Set<LookupOutcome>(['ok', 'nodata', 'nxdomain', 'servfail', 'refused', 'timeout', 'error']);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isAddresses = (v: unknown, family?: 4 | 6): v is string[] =>
  Array.isArray(v) && v.every((a) => typeof a === 'string' && parseIp(a) !== undefined && (family === undefined || parseIp(a)?.family === family));
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

/** The saved names of the file's text; throws with the reason when it is not one. */
export function parseNamesState(text: string): SavedNames {
  const doc = obj(JSON.parse(text));
  if (doc.version !== 1 || !Array.isArray(doc.names) || !Array.isArray(doc.placements)) throw new Error('not an lvsd names file (version 1)');
  const names = doc.names.map((v: unknown, i) => {
    const n = obj(v);
    const a = obj(n.addresses);
    const last = n.last === undefined ? undefined : obj(n.last);
    const ok =
      typeof n.name === 'string' && isAddresses(a[4], 4) && isAddresses(a[6], 6) && (n.resolvedAt === undefined || isTime(n.resolvedAt)) &&
      (n.failingSince === undefined || isTime(n.failingSince)) &&
      (last === undefined || (isTime(last.at) && typeof last.outcome === 'string' && OUTCOMES.has(last.outcome) && (last.detail === undefined || typeof last.detail === 'string')));
    if (!ok) throw new Error(`names[${i}] is not a saved name`);
    return {
      name: n.name as string,
      addresses: { 4: a[4] as string[], 6: a[6] as string[] },
      ...(n.resolvedAt !== undefined ? { resolvedAt: n.resolvedAt as number } : {}),
      ...(n.failingSince !== undefined ? { failingSince: n.failingSince as number } : {}),
      ...(last ? { last: { at: last.at as number, outcome: last.outcome as LookupOutcome, ...(last.detail !== undefined ? { detail: last.detail as string } : {}) } } : {}),
    };
  });
  const placements = doc.placements.map((v: unknown, i) => {
    const p = obj(v);
    if (typeof p.entry !== 'string' || !isAddresses(p.target) || !isAddresses(p.leaving) || (p.since !== undefined && !isTime(p.since))) throw new Error(`placements[${i}] is not a saved placement`);
    return { entry: p.entry, target: p.target, leaving: p.leaving, ...(p.since !== undefined ? { since: p.since as number } : {}) };
  });
  return { names, placements };
}

export function formatNamesState(saved: SavedNames): string {
  const names = [...saved.names].sort((a, b) => (a.name < b.name ? -1 : 1));
  const placements = [...saved.placements].sort((a, b) => (a.entry < b.entry ? -1 : 1));
  return `${JSON.stringify({ version: 1, names, placements })}\n`;
}

/** The saved names; none when there is no file. Throws on a broken one. */
export async function readNamesState(dir: string): Promise<SavedNames> {
  const text = await readStateFile(dir, NAMES_FILE);
  return text === undefined ? { names: [], placements: [] } : parseNamesState(text);
}

/** The writer of this file (atomic, in order, unchanged contents skipped). */
export function namesStateWriter(dir: () => string): StateFileWriter<SavedNames> {
  return new StateFileWriter(dir, NAMES_FILE, formatNamesState);
}
