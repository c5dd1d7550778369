import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readManagedState, STATE_FILE, writeManagedState } from '../../../src/daemon/managed-state.js';
import type { ServiceId } from '../../../src/ipvs/types.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'lvsd-state-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ids: ServiceId[] = [
  { protocol: 'udp', address: '2001:2::53', port: 53 },
  { fwmark: 7, family: 4 },
  { protocol: 'tcp', address: '198.18.0.100', port: 80 },
];

describe('the managed-services record', () => {
  it('round-trips service ids, creating the directory private', async () => {
    const dir = join(tempDir(), 'var', 'lib', 'lvsd');
    await writeManagedState(dir, ids);
    expect(new Set(await readManagedState(dir))).toEqual(new Set(ids));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, STATE_FILE)).mode & 0o777).toBe(0o600);
  });

  it('replaces the file by rename and leaves no temporary file behind', async () => {
    const dir = tempDir();
    await writeManagedState(dir, ids);
    const before = statSync(join(dir, STATE_FILE)).ino;
    await writeManagedState(dir, ids.slice(0, 1));
    expect(statSync(join(dir, STATE_FILE)).ino).not.toBe(before);
    expect(readdirSync(dir)).toEqual([STATE_FILE]);
    expect(JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'))).toEqual({ version: 1, services: [ids[0]] });
  });

  it('reads a missing record as none, and refuses a broken one with the reason', async () => {
    const dir = tempDir();
    expect(await readManagedState(dir)).toBeUndefined();
    writeFileSync(join(dir, STATE_FILE), '{"version":1,"services":[{"protocol":"tcp","address":"198.18.0.1"}]}');
    await expect(readManagedState(dir)).rejects.toThrow('services[0] is not a service id');
    writeFileSync(join(dir, STATE_FILE), '{"version":1,"serv');
    await expect(readManagedState(dir)).rejects.toThrow(SyntaxError);
  });
});
