// `lvsd run` under a systemd-like supervisor (issue 10 §6): with NOTIFY_SOCKET set it sends
// READY=1 once its VRRP instance runs and STOPPING=1 when SIGTERM starts the graceful stop,
// then exits 0, its `stop` notify hook (spawned from the VRRP worker thread) having run. And
// every system call it makes (VRRP, notify hooks, track scripts, stop) is inside the unit's
// SystemCallFilter=@system-service. A VRRP-only config needs no IPVS, so the real daemon runs
// on the host kernel.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { NetnsLab, veth, type Netns } from '../support/netns.mjs';
import { listenNotify } from '../support/notify-listener.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A namespace with one veth end at 198.18.9.1 and a VRRP-only config for it in `dir`. */
function vrrpNode(lab: NetnsLab, dir: string, extra = ''): Netns {
  const a = lab.ns('a');
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
${extra}`,
  );
  return a;
}

/** The system calls a SystemCallFilter= group allows, its nested groups expanded. */
function syscallGroup(group: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(group)) return out;
  seen.add(group);
  const lines = execFileSync('systemd-analyze', ['syscall-filter', '--no-pager', group], { encoding: 'utf8' }).split('\n').slice(1);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('@')) for (const s of syscallGroup(line, seen)) out.add(s);
    else out.add(line);
  }
  return out;
}

describeWith(['root', 'netns', 'python3'], 'lvsd run tells systemd READY=1 and STOPPING=1', () => {
  const lab = new NetnsLab('sdnotify');
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-sdnotify-'));
  let a: Netns;

  const record = join(dir, 'hooks');

  beforeAll(() => {
    // The hook runs from the VRRP worker thread; it appends the new state it is given.
    a = vrrpNode(lab, dir, `      notify: { any: [/bin/sh, -c, 'echo "$2" >> ${record}', hook] }\n`);
  });

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('READY=1 after start, STOPPING=1 on SIGTERM, exit 0 after the stop hook ran', async () => {
    // A socket path: abstract sockets belong to a network namespace, paths do not.
    const socket = join(dir, 'notify.sock');
    const listener = await listenNotify(socket);
    try {
      const lvsd = a.spawn(process.execPath, [CLI, 'run', '-c', join(dir, 'lvsd.yaml'), '--log-level', 'info'], { env: { ...process.env, NOTIFY_SOCKET: socket } });
      expect(await listener.waitFor(/READY=1/, 30_000)).toBe('READY=1\nSTATUS=running');
      await lvsd.waitForOutput(/VRRP vi1: backup -> master/, 10_000);
      expect(listener.messages.some((m) => m.includes('STOPPING=1'))).toBe(false);
      lvsd.child.kill('SIGTERM');
      expect(await listener.waitFor(/STOPPING=1/, 10_000)).toMatch(/^STOPPING=1\n/);
      expect(await lvsd.waitForExit(20_000)).toEqual({ code: 0, signal: null });
      expect(listener.messages).toHaveLength(2);
      expect(readFileSync(record, 'utf8')).toBe('backup\nmaster\nstop\n');
    } finally {
      listener.close();
    }
  });
});

describeWith(['root', 'netns', 'strace', 'systemd-analyze', 'pgrep'], 'lvsd under SystemCallFilter=@system-service', () => {
  const lab = new NetnsLab('syscalls');
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-syscalls-'));
  let a: Netns;

  beforeAll(() => {
    a = vrrpNode(lab, dir, '      notify: { any: [/bin/true] }\n      track: { scripts: [{ name: t, command: [/bin/true], interval: 200ms, timeout: 100ms }] }\n');
  });

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes no system call outside the filter but pkey_alloc, which V8 lets fail (SystemCallErrorNumber=EPERM)', async () => {
    const trace = join(dir, 'trace');
    const traced = a.spawn('strace', ['-f', '-qq', '-o', trace, process.execPath, CLI, 'run', '-c', join(dir, 'lvsd.yaml')]);
    await traced.waitForOutput(/VRRP vi1: backup -> master/, 30_000);
    // Let the track script and the hooks run a few times, then stop the daemon (strace's child).
    await new Promise((r) => setTimeout(r, 1_000));
    const daemonPid = Number(execFileSync('pgrep', ['-P', String(traced.pid), '-x', 'node'], { encoding: 'utf8' }).trim().split('\n')[0]);
    process.kill(daemonPid, 'SIGTERM');
    expect(await traced.waitForExit(20_000)).toEqual({ code: 0, signal: null });
    expect(traced.output).toContain('lvsd stopped');
    const calls = new Set([...readFileSync(trace, 'utf8').matchAll(/^\d+ +([a-z0-9_]+)\(/gm)].map((m) => m[1] as string));
    expect(calls.has('execve') && calls.has('sendmsg')).toBe(true);
    const allowed = syscallGroup('@system-service');
    expect([...calls].filter((c) => !allowed.has(c) && c !== 'pkey_alloc')).toEqual([]);
  });
});
