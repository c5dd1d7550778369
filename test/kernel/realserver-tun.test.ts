// `lvsd realserver --mode tun` in the lab VM, whose kernel has ipip: setup loads the module, brings
// tunl0 up with the VIP and relaxes rp_filter; the proof is a packet IPIP-encapsulated by the
// neighbour (as an IPVS director in TUN mode sends it) that the real server decapsulates and
// answers directly, which strict reverse-path filtering drops. Node starts slowly under QEMU's
// emulation, so each test runs the CLI as few times as the proof allows.
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { CLI, SCRIPT, realServerLab, type RealServerLab } from '../netns/realserver-lab.js';
import type { RunResult } from '../support/netns.mjs';

const VIP = '198.18.0.100';
const VIP6 = '2001:2::100';

describeWith(['root', 'netns', 'arping'], 'realserver TUN (lab VM kernel)', () => {
  let lab: RealServerLab;
  let bin: string;
  let path: string;

  beforeAll(async () => {
    lab = await realServerLab('rstun');
    // The lab VM runs the host's root filesystem, which may lack kmod; busybox's modprobe reads
    // the guest's /lib/modules just as well, and the real server then behaves like any host.
    bin = mkdtempSync(join(tmpdir(), 'lvsd-rstun-bin-'));
    symlinkSync('/bin/busybox', join(bin, 'modprobe'));
    path = `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
    // The neighbour plays the director: it tunnels packets for the VIP to the real server. (Creating
    // tun1 loads ipip, so tunl0 exists in every namespace before setup runs.)
    lab.nb.ip('link', 'add', 'tun1', 'type', 'ipip', 'local', '198.18.0.1', 'remote', '198.18.0.2');
    lab.nb.ip('link', 'set', 'tun1', 'up');
    lab.nb.ip('route', 'add', `${VIP}/32`, 'dev', 'tun1');
    // Replies come back from the VIP over eth0, not over tun1: the neighbour must not filter them.
    lab.nb.exec('sh', ['-c', 'for i in all eth0 tun1; do echo 0 > /proc/sys/net/ipv4/conf/$i/rp_filter; done']);
  });
  afterAll(async () => {
    await lab?.cleanup();
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  const lvsd = (args: string[]): RunResult => lab.rs.execResult('env', [`PATH=${path}`, 'node', CLI, 'realserver', ...args], { allowFailure: true, timeoutMs: 120_000 });
  const script = (args: string[]): RunResult => lab.rs.execResult('env', [`PATH=${path}`, 'sh', SCRIPT, ...args], { allowFailure: true, timeoutMs: 120_000 });
  const tunnelledPingAnswered = (): boolean => lab.nb.execResult('ping', ['-c', '2', '-W', '1', '-I', '198.18.0.1', VIP], { allowFailure: true, timeoutMs: 5_000 }).status === 0;
  const arpAnswered = (): boolean => lab.nb.execResult('arping', ['-c', '2', '-w', '2', '-I', 'eth0', VIP], { allowFailure: true, timeoutMs: 5_000 }).status === 0;
  const read = (key: string): string => lab.rs.exec('cat', [`/proc/sys/net/ipv4/conf/${key}`]).trim();

  it('setup brings tunl0 up with the VIP and loose rp_filter; tunnelled packets are answered; teardown restores', () => {
    const state = join(lab.dir, 'tun.json');
    // Strict reverse-path filtering, as many distributions ship it.
    lab.rs.exec('sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter']);
    const before = lab.sysctls();

    // setup ends with a check; exit 0 means every check passed.
    const setup = lvsd(['setup', '--mode', 'tun', '--vip', VIP, '--state', state]);
    expect(setup.status, setup.stdout + setup.stderr).toBe(0);
    expect(setup.stdout).toContain('ok    tunl0 exists and is up');
    expect(lab.rs.link('tunl0').up).toBe(true);
    expect(lab.rs.addresses('tunl0')).toEqual([`${VIP}/32`]);
    // all goes from strict to loose; tunl0 keeps a new namespace's default, 0 (off), which is fine.
    expect([read('all/rp_filter'), read('tunl0/rp_filter')]).toEqual(['2', '0']);
    expect(setup.stdout).toContain('ok    rp_filter on tunl0 = 2 (max of all=2, tunl0=0)');
    expect(tunnelledPingAnswered()).toBe(true);
    expect(arpAnswered()).toBe(false);

    // Strict mode again on all: max(all, tunl0) = 1, so decapsulated packets are dropped.
    lab.rs.exec('sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter']);
    expect(tunnelledPingAnswered()).toBe(false);
    const strict = lvsd(['check', '--mode', 'tun', '--vip', VIP]);
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain('FAIL  rp_filter on tunl0 = 1 (max of all=1, tunl0=0)');
    expect(strict.stdout).toContain('fix: sysctl -w net.ipv4.conf.all.rp_filter=2');
    lab.rs.exec('sh', ['-c', 'echo 2 > /proc/sys/net/ipv4/conf/all/rp_filter']);

    const teardown = lvsd(['teardown', '--state', state]);
    expect(teardown.status, teardown.stdout + teardown.stderr).toBe(0);
    expect(lab.sysctls()).toBe(before);
    expect(lab.rs.addresses('tunl0')).toEqual([]);
    // A fresh namespace's tunl0 is down (or absent until ipip loads): setup brought it up, teardown takes it down.
    expect(lab.rs.link('tunl0').up).toBe(false);
  });

  it('examples/realserver-arp.sh sets up TUN the same way and passes lvsd check', () => {
    const state = join(lab.dir, 'tun-sh.state');
    const before = lab.sysctls();
    const setup = script(['setup', '--mode', 'tun', '--vip', VIP, '--state', state]);
    expect(setup.status, setup.stdout + setup.stderr).toBe(0);
    expect(lvsd(['check', '--mode', 'tun', '--vip', VIP]).status).toBe(0);
    expect(tunnelledPingAnswered()).toBe(true);
    const teardown = script(['teardown', '--state', state]);
    expect(teardown.status, teardown.stdout + teardown.stderr).toBe(0);
    expect(lab.sysctls()).toBe(before);
    expect(lab.rs.addresses('tunl0')).toEqual([]);
  });

  it('IPv6 VIPs go on ip6tnl0 (ip6_tunnel), up, /128 nodad', () => {
    const state = join(lab.dir, 'tun6.json');
    const setup = lvsd(['setup', '--mode', 'tun', '--vip', VIP6, '--state', state]);
    expect(setup.status, setup.stdout + setup.stderr).toBe(0);
    expect(lab.rs.link('ip6tnl0').up).toBe(true);
    expect(lab.rs.addresses('ip6tnl0')).toContain(`${VIP6}/128`);
    expect(lvsd(['teardown', '--state', state]).status).toBe(0);
    expect(lab.rs.addresses('ip6tnl0')).not.toContain(`${VIP6}/128`);
    expect(lab.rs.link('ip6tnl0').up).toBe(false);
  });
});
