// sd_notify from the addon (native/sd_notify.cc via src/kernel/sd-notify.ts): datagrams reach a
// path socket and an abstract one, nothing happens without NOTIFY_SOCKET, and a dead socket is
// an error to log, never an exception.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { sdNotify } from '../../../src/kernel/sd-notify.js';
import { describeWith } from '../../support/needs.js';
import { listenNotify } from '../../support/notify-listener.js';

describeWith(['python3'], 'sdNotify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-sdnotify-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends to a socket path', async () => {
    const path = join(dir, 'notify.sock');
    const listener = await listenNotify(path);
    try {
      expect(sdNotify('READY=1\nSTATUS=running', { NOTIFY_SOCKET: path })).toEqual({ sent: true });
      expect(await listener.waitFor(/READY=1/)).toBe('READY=1\nSTATUS=running');
    } finally {
      listener.close();
    }
  });

  it('sends to an abstract socket (@name)', async () => {
    const name = `@lvsd-test-${process.pid}-${Date.now()}`;
    const listener = await listenNotify(name);
    try {
      expect(sdNotify('STOPPING=1', { NOTIFY_SOCKET: name })).toEqual({ sent: true });
      expect(await listener.waitFor(/STOPPING=1/)).toBe('STOPPING=1');
    } finally {
      listener.close();
    }
  });

  it('does nothing without NOTIFY_SOCKET, and reports a dead or malformed socket instead of throwing', () => {
    expect(sdNotify('READY=1', {})).toEqual({ sent: false });
    const dead = sdNotify('READY=1', { NOTIFY_SOCKET: join(dir, 'nobody-listens.sock') });
    expect(dead.sent).toBe(false);
    expect(dead.error?.message).toMatch(/^sendto\(.*\): ENOENT/);
    expect(sdNotify('READY=1', { NOTIFY_SOCKET: 'relative.sock' }).error?.message).toMatch(/absolute path or @abstract-name/);
  });
});
