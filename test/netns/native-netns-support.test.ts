// The namespace helper other suites build on (test/support/netns.mjs): it must clean up after
// itself by PID and by name, refuse addresses outside the test ranges, and switch this thread
// into a namespace and back (the addon's inNetns, which native tests use with these namespaces).
import { networkInterfaces } from 'node:os';
import { afterAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { assertTestAddress, NetnsLab, run, sweepStaleNamespaces, veth } from '../support/netns.mjs';
import { inNetns } from '../../src/kernel/native.js';

const namespaces = (): string[] => run('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0] ?? '');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeWith(['root', 'netns'], 'test/support/netns.mjs', () => {
  const lab = new NetnsLab('native');
  afterAll(() => lab.cleanup());

  it('names namespaces after the area and this PID, and deletes them with their processes', async () => {
    const own = new NetnsLab('native');
    const ns = own.ns('x');
    expect(ns.name).toMatch(new RegExp(`^lvsd-native-${process.pid}-[0-9a-f]{6}-x$`));
    expect(namespaces()).toContain(ns.name);
    const sleeper = ns.spawn('sleep', ['30']);
    const pid = sleeper.pid ?? 0;
    expect(alive(pid)).toBe(true);
    await own.cleanup();
    expect(alive(pid)).toBe(false);
    expect(sleeper.running).toBe(false);
    expect(namespaces()).not.toContain(ns.name);
  });

  it('runs commands inside the namespace and reads its links and addresses', () => {
    const [a, b] = [lab.ns('a'), lab.ns('b')];
    veth(a, 'eth0', b, 'veth-b');
    a.addr('eth0', '198.18.12.1/24');
    a.addr('eth0', '2001:2:0:12::1/64');
    expect(a.exec('ip', ['-o', 'link', 'show', 'eth0'])).toContain('eth0@if');
    expect(a.link('eth0')).toMatchObject({ ifname: 'eth0', up: true, lowerUp: true, mtu: 1500 });
    expect(a.addresses('eth0')).toEqual(expect.arrayContaining(['198.18.12.1/24', '2001:2:0:12::1/64']));
    expect(a.linkLocal('eth0')).toMatch(/^fe80::/);
    expect(b.link('veth-b').ifname).toBe('veth-b');
    expect(a.execResult('false', [], { allowFailure: true }).status).toBe(1);
    expect(() => a.exec('false')).toThrow(/failed \(status 1\)/);
  });

  it('inNetns(ns.path) switches this thread into the namespace for synchronous work only', () => {
    const ns = lab.ns('enter');
    veth(ns, 'only-here0', ns, 'only-here1');
    ns.addr('only-here0', '198.18.12.9/24');
    const inside = inNetns(ns.path, () => Object.keys(networkInterfaces()));
    expect(inside).toContain('only-here0');
    expect(Object.keys(networkInterfaces())).not.toContain('only-here0');
    expect(() => inNetns(ns.path, () => {
      throw new Error('inside');
    })).toThrow('inside');
    expect(Object.keys(networkInterfaces())).not.toContain('only-here0');
  });

  it('fails fast when a process exits before printing what a test waits for', async () => {
    const ns = lab.ns('proc');
    const quitter = ns.spawn('sh', ['-c', 'echo starting; exit 3']);
    await expect(quitter.waitForOutput(/never printed/, 5_000)).rejects.toThrow(/exited before printing/);
    expect(await quitter.waitForExit()).toEqual({ code: 3, signal: null });
  });

  it('refuses addresses outside the test ranges', () => {
    for (const ok of ['198.18.0.1', '198.19.255.254', '2001:2::1', '2001:2:0:ffff::1', 'fe80::1', '224.0.0.18', 'ff02::12']) {
      expect(() => assertTestAddress(ok)).not.toThrow();
    }
    for (const bad of ['10.0.0.1', '8.8.8.8', '198.20.0.1', '2001:3::1', '2001:db8::1', 'not-an-ip']) {
      expect(() => assertTestAddress(bad)).toThrow();
    }
    const ns = lab.ns('addr');
    expect(() => ns.addr('lo', '10.0.0.1/8')).toThrow(/outside the test ranges/);
  });

  it('sweeps namespaces left by dead test processes of the same area, never live ones', () => {
    // PIDs above the kernel's pid_max cannot be alive.
    const pidMax = Number(run('cat', ['/proc/sys/kernel/pid_max']).stdout.trim());
    const stale = `lvsd-native-${pidMax + 1}-abcdef-left`;
    const otherArea = `lvsd-nativex-${pidMax + 1}-abcdef`;
    run('ip', ['netns', 'add', stale]);
    run('ip', ['netns', 'add', otherArea]);
    try {
      const live = lab.ns('live');
      expect(sweepStaleNamespaces('native')).toEqual([stale]);
      expect(namespaces()).toContain(live.name);
      expect(namespaces()).toContain(otherArea);
      expect(namespaces()).not.toContain(stale);
    } finally {
      run('ip', ['netns', 'delete', stale], { allowFailure: true });
      run('ip', ['netns', 'delete', otherArea], { allowFailure: true });
    }
  });
});
