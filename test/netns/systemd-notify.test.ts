// `lvsd run` under a systemd-like supervisor (issue 10 §6): with NOTIFY_SOCKET set it sends
// READY=1 once its VRRP instance runs and STOPPING=1 when SIGTERM starts the graceful stop,
// then exits 0. A VRRP-only config needs no IPVS, so the real daemon runs on the host kernel.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { NetnsLab, veth, type Netns } from '../support/netns.js';
import { listenNotify } from '../support/notify-listener.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

describeWith(['root', 'netns', 'python3'], 'lvsd run tells systemd READY=1 and STOPPING=1', () => {
  const lab = new NetnsLab('sdnotify');
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-sdnotify-'));
  let a: Netns;

  beforeAll(() => {
    a = lab.ns('a');
    const b = lab.ns('b');
    veth(a, 'eth0', b, 'eth0');
    a.addr('eth0', '198.18.9.1/24');
    b.addr('eth0', '198.18.9.2/24');
    writeFileSync(
      join(dir, 'lvsd.yaml'),
      `node: { name: a }
control: { socket: ${join(dir, 'lvsd.sock')} }
metrics: { listen: 127.0.0.1:9810 }
vrrp:
  instances:
    - name: vi1
      interface: eth0
      vrid: 51
      advert_interval: 100ms
      vips: [198.18.9.100/24]
`,
    );
  });

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('READY=1 after start, STOPPING=1 on SIGTERM, exit 0', async () => {
    // A socket path: abstract sockets belong to a network namespace, paths do not.
    const socket = join(dir, 'notify.sock');
    const listener = await listenNotify(socket);
    try {
      const lvsd = a.spawn(process.execPath, [CLI, 'run', '-c', join(dir, 'lvsd.yaml'), '--log-level', 'info'], { env: { ...process.env, NOTIFY_SOCKET: socket } });
      expect(await listener.waitFor(/READY=1/, 30_000)).toBe('READY=1\nSTATUS=running');
      await lvsd.waitForOutput(/VRRP instance started/);
      expect(listener.messages.some((m) => m.includes('STOPPING=1'))).toBe(false);
      lvsd.child.kill('SIGTERM');
      expect(await listener.waitFor(/STOPPING=1/, 10_000)).toMatch(/^STOPPING=1\n/);
      expect(await lvsd.waitForExit(20_000)).toEqual({ code: 0, signal: null });
      expect(listener.messages).toHaveLength(2);
    } finally {
      listener.close();
    }
  });
});
