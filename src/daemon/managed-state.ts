// The record of which kernel IPVS services lvsd manages, kept in `<ipvs.state_dir>/managed-services.json`.
// The kernel cannot tell lvsd's services from anyone else's, and after a restart the config no
// longer names the services it dropped while lvsd was down. With this record a restart removes
// exactly those, and leaves services added by hand (ipvsadm) alone.
//
// Written atomically (temporary file, fsync, rename, fsync of the directory): a crash or power
// loss leaves the old record or the new one, never half of either. A missing or unreadable record
// means "nothing recorded" (the first start, or a new state_dir), which is what lvsd did before
// the record existed: adopt the declared services and leave every other one alone.
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isFwmark, serviceKey } from '../ipvs/names.js';
import type { ServiceId } from '../ipvs/types.js';

export const STATE_FILE = 'managed-services.json';

interface StateFile {
  version: 1;
  services: ServiceId[];
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

/** A service id as written by writeManagedState, or undefined for anything else. */
function parseServiceId(v: unknown): ServiceId | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.fwmark === 'number' && (o.family === 'ipv4' || o.family === 'ipv6')) return { fwmark: o.fwmark, family: o.family };
  if (typeof o.protocol === 'string' && PROTOCOLS.has(o.protocol) && typeof o.address === 'string' && typeof o.port === 'number') {
    return { protocol: o.protocol as 'tcp', address: o.address, port: o.port };
  }
  return undefined;
}

/** The services of a state file's text; throws with the reason when it is not one. */
export function parseManagedState(text: string): ServiceId[] {
  const doc = JSON.parse(text) as Partial<StateFile>;
  if (doc.version !== 1 || !Array.isArray(doc.services)) throw new Error('not an lvsd state file (version 1)');
  return doc.services.map((s, i) => {
    const id = parseServiceId(s);
    if (!id) throw new Error(`services[${i}] is not a service id`);
    return id;
  });
}

export function formatManagedState(services: readonly ServiceId[]): string {
  const ids = [...services].sort((a, b) => (serviceKey(a) < serviceKey(b) ? -1 : 1));
  const plain = ids.map((id) => (isFwmark(id) ? { fwmark: id.fwmark, family: id.family } : { protocol: id.protocol, address: id.address, port: id.port }));
  return `${JSON.stringify({ version: 1, services: plain } satisfies StateFile, null, 1)}\n`;
}

/** The recorded services; undefined when there is no record (ENOENT). Throws on a broken one. */
export async function readManagedState(dir: string): Promise<ServiceId[] | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseManagedState(text);
}

/** Replaces the record atomically. */
export async function writeManagedState(dir: string, services: readonly ServiceId[]): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, STATE_FILE);
  const temp = `${target}.${process.pid}.tmp`;
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(formatManagedState(services));
    await file.sync();
  } catch (err) {
    await file.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await file.close();
  await rename(temp, target);
  // The rename is durable only once the directory entry is.
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
