// Reading and writing the real-server state file. Writes go to a temporary file renamed over the
// old one, so a crash mid-write never leaves a half-written record that teardown cannot parse.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseRecord, type RealServerRecord } from './record.js';

/** The record, or undefined when there is no state file. */
export function readStateFile(file: string): RealServerRecord | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read state file ${file}: ${(err as Error).message}`);
  }
  return parseRecord(text, file);
}

export function writeStateFile(file: string, record: RealServerRecord): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}

export function removeStateFile(file: string): void {
  rmSync(file, { force: true });
}
