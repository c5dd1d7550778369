// The files lvsd keeps in `ipvs.state_dir` (default /var/lib/lvsd): what it manages
// (managed-state.ts), the removals still draining (drain-state.ts) and the operator's overrides
// (override-state.ts). Each is small JSON, replaced atomically: temporary file, fsync, rename,
// fsync of the directory, so a crash, kill -9 or power loss leaves the old file or the new one,
// never half of either. The directory and files are private (0700/0600): they steer the kernel.
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isFwmark } from '../ipvs/names.js';
import type { AddressServiceId, DestinationId, ServiceId } from '../ipvs/types.js';
import { familyFromName, familyName } from '../net/address.js';

/** The file's text; undefined when it does not exist (ENOENT). Other errors are thrown. */
export async function readStateFile(dir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Replaces the file atomically, creating the directory if needed. */
export async function writeStateFile(dir: string, name: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, name);
  const temp = `${target}.${process.pid}.tmp`;
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(text);
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

/**
 * Writes one state file in order, the latest text winning: a save asked for while another is
 * being written waits for it, and texts already on disk are not written again. Saves never run
 * concurrently, so an older text can never land after a newer one.
 */
export class StateFileWriter<T> {
  private written: string | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    /** Read at each save: a reload may move ipvs.state_dir. */
    private readonly dir: () => string,
    private readonly name: string,
    private readonly format: (value: T) => string,
  ) {}

  save(value: T): Promise<void> {
    const text = this.format(value);
    const next = this.chain.then(async () => {
      if (text === this.written) return;
      await writeStateFile(this.dir(), this.name, text);
      this.written = text;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/**
 * The entries of a version-1 state file whose list is `field`, each read by `entry` (undefined:
 * not one). Throws naming the file's kind, or the first entry that is not `noun`: a broken file
 * is reported and taken as empty by the caller, never half read.
 */
export function parseStateList<T>(text: string, kind: string, field: string, noun: string, entry: (v: unknown) => T | undefined): T[] {
  const doc = JSON.parse(text) as Record<string, unknown> | null;
  const list = doc?.[field];
  if (doc?.version !== 1 || !Array.isArray(list)) throw new Error(`not an lvsd ${kind} file (version 1)`);
  return list.map((v: unknown, i) => {
    const e = entry(v);
    if (e === undefined) throw new Error(`${field}[${i}] is not ${noun}`);
    return e;
  });
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

/** A service id as written by plainServiceId, or undefined for anything else. */
export function parseServiceId(v: unknown): ServiceId | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.fwmark === 'number' && (o.family === 'ipv4' || o.family === 'ipv6')) return { fwmark: o.fwmark, family: familyFromName(o.family) };
  if (typeof o.protocol === 'string' && PROTOCOLS.has(o.protocol) && typeof o.address === 'string' && typeof o.port === 'number') {
    return { protocol: o.protocol as 'tcp', address: o.address, port: o.port };
  }
  return undefined;
}

/** A service id as a state file holds it: a fwmark service's family is spelled as in the YAML. */
export type StoredServiceId = AddressServiceId | { fwmark: number; family: 'ipv4' | 'ipv6' };

/** Only the identifying fields, in a fixed order. */
export function plainServiceId(id: ServiceId): StoredServiceId {
  return isFwmark(id) ? { fwmark: id.fwmark, family: familyName(id.family) } : { protocol: id.protocol, address: id.address, port: id.port };
}

/** A real server's address and port as written in a state file, or undefined. */
export function parseDestinationId(v: unknown): DestinationId | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  return typeof o.address === 'string' && typeof o.port === 'number' ? { address: o.address, port: o.port } : undefined;
}
