// The removals still draining, kept in `<ipvs.state_dir>/draining.json` beside the record of
// managed services, so a restart (or kill -9) carries each drain on to its original deadline
// instead of starting it again or, worse, deleting at once a real server that still has
// connections. A whole service that is draining is recorded here only: the managed-services
// record already names just the declared ones, so this file is also what tells a restarted lvsd
// that the draining service is its own.
import { drainKey, type Drain } from '../ipvs/drain.js';
import { parseDestinationId, parseServiceId, parseStateList, plainServiceId, readStateFile, StateFileWriter, type StoredServiceId } from './state-file.js';

export const DRAIN_FILE = 'draining.json';

interface DrainFile {
  version: 1;
  drains: Array<Omit<Drain, 'service'> & { service: StoredServiceId }>;
}

/** The drains of the file's text; throws with the reason when it is not one. */
export function parseDrainState(text: string): Drain[] {
  return parseStateList(text, 'drain', 'drains', 'a drain', (v): Drain | undefined => {
    const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    const service = parseServiceId(o.service);
    const dest = o.dest === undefined ? undefined : parseDestinationId(o.dest);
    if (!service || (o.dest !== undefined && !dest) || typeof o.since !== 'number' || typeof o.deadline !== 'number') return undefined;
    return { service, ...(dest ? { dest } : {}), since: o.since, deadline: o.deadline };
  });
}

export function formatDrainState(drains: readonly Drain[]): string {
  const sorted = [...drains].sort((a, b) => (drainKey(a.service, a.dest) < drainKey(b.service, b.dest) ? -1 : 1));
  const plain = sorted.map((d) => ({ service: plainServiceId(d.service), ...(d.dest ? { dest: { address: d.dest.address, port: d.dest.port } } : {}), since: d.since, deadline: d.deadline }));
  return `${JSON.stringify({ version: 1, drains: plain } satisfies DrainFile, null, 1)}\n`;
}

/** The recorded drains; none when there is no file. Throws on a broken one. */
export async function readDrainState(dir: string): Promise<Drain[]> {
  const text = await readStateFile(dir, DRAIN_FILE);
  return text === undefined ? [] : parseDrainState(text);
}

/** The writer of this file (atomic, in order, unchanged contents skipped). */
export function drainStateWriter(dir: () => string): StateFileWriter<readonly Drain[]> {
  return new StateFileWriter(dir, DRAIN_FILE, formatDrainState);
}
