// The record of which kernel IPVS services lvsd manages, kept in `<ipvs.state_dir>/managed-services.json`.
// The kernel cannot tell lvsd's services from anyone else's, and after a restart the config no
// longer names the services it dropped while lvsd was down. With this record a restart removes
// exactly those, and leaves services added by hand (ipvsadm) alone.
//
// Written atomically (state-file.ts): a crash or power loss leaves the old record or the new
// one, never half of either. A missing or unreadable record means "nothing recorded" (the first
// start, or a new state_dir), which is what lvsd did before the record existed: adopt the
// declared services and leave every other one alone.
import { serviceKey } from '../ipvs/names.js';
import type { ServiceId } from '../ipvs/types.js';
import { parseServiceId, parseStateList, plainServiceId, readStateFile, writeStateFile, type StoredServiceId } from './state-file.js';

export const STATE_FILE = 'managed-services.json';

interface StateFile {
  version: 1;
  services: StoredServiceId[];
}

/** The services of a state file's text; throws with the reason when it is not one. */
export function parseManagedState(text: string): ServiceId[] {
  return parseStateList(text, 'state', 'services', 'a service id', parseServiceId);
}

export function formatManagedState(services: readonly ServiceId[]): string {
  const ids = [...services].sort((a, b) => (serviceKey(a) < serviceKey(b) ? -1 : 1));
  return `${JSON.stringify({ version: 1, services: ids.map(plainServiceId) } satisfies StateFile, null, 1)}\n`;
}

/** The recorded services; undefined when there is no record (ENOENT). Throws on a broken one. */
export async function readManagedState(dir: string): Promise<ServiceId[] | undefined> {
  const text = await readStateFile(dir, STATE_FILE);
  return text === undefined ? undefined : parseManagedState(text);
}

/** Replaces the record atomically. */
export function writeManagedState(dir: string, services: readonly ServiceId[]): Promise<void> {
  return writeStateFile(dir, STATE_FILE, formatManagedState(services));
}
