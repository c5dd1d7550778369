import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callControl, callDaemon, ControlError } from '../../../src/cli/control-client.js';
import { ControlServer } from '../../../src/daemon/control-server.js';
import { LineSplitter, parseRequest } from '../../../src/daemon/control-protocol.js';

let dir: string;
let server: ControlServer | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvsd-ctl-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const echo = async (method: string, params: Record<string, unknown>): Promise<unknown> => {
  if (method === 'fail') throw new Error('instance web: no such instance');
  return { method, params };
};

describe('control socket', () => {
  it('answers requests and creates the socket with mode 0600', async () => {
    const path = join(dir, 'lvsd.sock');
    server = await ControlServer.listen(path, echo);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await expect(callControl(path, 'status', { json: true })).resolves.toEqual({ method: 'status', params: { json: true } });
    await expect(callControl(path, 'fail')).rejects.toThrow('instance web: no such instance');
  });

  it('says clearly when the daemon is not running', async () => {
    const path = join(dir, 'missing.sock');
    await expect(callDaemon(path, 'status')).rejects.toThrow(ControlError);
    await expect(callDaemon(path, 'status')).rejects.toThrow(/lvsd is not running: no control socket/);
  });

  it('replaces a stale socket file but refuses to start beside a live daemon', async () => {
    const path = join(dir, 'lvsd.sock');
    server = await ControlServer.listen(path, echo);
    await expect(ControlServer.listen(path, echo)).rejects.toThrow(/another lvsd is already running/);
    writeFileSync(join(dir, 'plain'), 'x');
    await expect(ControlServer.listen(join(dir, 'plain'), echo)).rejects.toThrow(/is not a socket/);
  });

  it('answers a malformed line with an error and keeps the connection', async () => {
    const path = join(dir, 'lvsd.sock');
    server = await ControlServer.listen(path, echo);
    const replies = await new Promise<string[]>((resolve, reject) => {
      const s = createConnection(path);
      const got: string[] = [];
      const lines = new LineSplitter();
      s.setEncoding('utf8');
      s.on('error', reject);
      s.on('data', (c: string) => {
        got.push(...lines.push(c));
        if (got.length === 2) {
          s.destroy();
          resolve(got);
        }
      });
      s.write('not json\n{"id":7,"method":"ping"}\n');
    });
    expect(JSON.parse(replies[0]!)).toMatchObject({ ok: false, error: expect.stringMatching(/malformed request/) });
    expect(JSON.parse(replies[1]!)).toEqual({ id: 7, ok: true, result: { method: 'ping', params: {} } });
  });

  it('rejects requests that are not of the protocol shape', () => {
    expect(parseRequest('[]')).toBeUndefined();
    expect(parseRequest('{"id":"1","method":"x"}')).toBeUndefined();
    expect(parseRequest('{"id":1,"method":"x","params":[1]}')).toBeUndefined();
    expect(parseRequest('{"id":1,"method":"x"}')).toEqual({ id: 1, method: 'x' });
  });
});
