// `lvsd realserver` and examples/realserver-arp.sh on the host kernel: a real-server namespace and
// a neighbour namespace on one link. The proof that DR setup works is on the wire: the neighbour
// gets ARP replies for the VIP before setup and none after, and no neighbour advertisement for an
// IPv6 VIP on lo.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { realServerLab, type RealServerLab } from './realserver-lab.js';

const VIP = '198.18.0.100';
const VIP6 = '2001:2::100';

describeWith(['root', 'netns', 'arping'], 'realserver DR and NAT (netns)', () => {
  let lab: RealServerLab;
  let state: string;
  let run = 0;

  beforeAll(async () => {
    lab = await realServerLab('rs');
  });
  afterAll(async () => {
    await lab?.cleanup();
  });
  beforeEach(() => {
    state = join(lab.dir, `state-${++run}.json`);
  });

  /** True when the neighbour gets an ARP reply for `ip` (2 requests, at most 2 s). */
  const arpAnswered = (ip: string): boolean => lab.nb.execResult('arping', ['-c', '2', '-w', '2', '-I', 'eth0', ip], { allowFailure: true, timeoutMs: 5_000 }).status === 0;

  /** True when the neighbour resolves and reaches `ip` over IPv6 (neighbour cache flushed first). */
  const ndAnswered = (ip: string): boolean => {
    lab.nb.ip('-6', 'neigh', 'flush', 'dev', 'eth0');
    return lab.nb.execResult('ping', ['-6', '-c', '1', '-W', '1', ip], { allowFailure: true, timeoutMs: 5_000 }).status === 0;
  };

  const dr = (cmd: string, extra: string[] = []): string[] => [cmd, '--mode', 'dr', '--vip', VIP, '--state', state, ...extra];

  it('the VIP answers ARP from the uplink, and even from lo while the ARP sysctls are at their defaults', () => {
    lab.rs.addr('eth0', `${VIP}/24`);
    try {
      expect(arpAnswered(VIP)).toBe(true);
    } finally {
      lab.rs.ip('addr', 'del', `${VIP}/24`, 'dev', 'eth0');
    }
    lab.rs.ip('addr', 'add', `${VIP}/32`, 'dev', 'lo');
    try {
      expect(arpAnswered(VIP)).toBe(true);
    } finally {
      lab.rs.ip('addr', 'del', `${VIP}/32`, 'dev', 'lo');
    }
  });

  it('setup makes the VIP local and silent, check passes, a second setup changes nothing, teardown restores everything', () => {
    const before = lab.sysctls();
    const check = lab.lvsd(dr('check'));
    expect(check.status).toBe(1);
    expect(check.stdout).toContain('FAIL  198.18.0.100/32 is not on lo');

    const setup = lab.lvsd(dr('setup'));
    expect(setup.status, setup.stdout + setup.stderr).toBe(0);
    expect(setup.stdout).toContain('add 198.18.0.100/32 to lo');
    expect(setup.stdout).toContain('uplinks eth0 from IPv4 default route');
    expect(lab.rs.addresses('lo')).toContain(`${VIP}/32`);
    expect(lab.rs.exec('cat', ['/proc/sys/net/ipv4/conf/all/arp_ignore', '/proc/sys/net/ipv4/conf/eth0/arp_announce']).split('\n').slice(0, 2)).toEqual(['1', '2']);

    const after = lab.lvsd(dr('check'));
    expect(after.status, after.stdout).toBe(0);
    expect(after.stdout).not.toContain('FAIL');
    expect(arpAnswered(VIP)).toBe(false);

    const recorded = readFileSync(state, 'utf8');
    const sysctlsAfterFirst = lab.sysctls();
    const again = lab.lvsd(dr('setup'));
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('setup: nothing to change');
    expect(readFileSync(state, 'utf8')).toBe(recorded);
    expect(lab.sysctls()).toBe(sysctlsAfterFirst);

    const teardown = lab.lvsd(['teardown', '--state', state]);
    expect(teardown.status, teardown.stdout + teardown.stderr).toBe(0);
    expect(lab.sysctls()).toBe(before);
    expect(lab.rs.addresses('lo')).not.toContain(`${VIP}/32`);
    expect(existsSync(state)).toBe(false);
    expect(arpAnswered(VIP)).toBe(false);
  });

  it('IPv6: the VIP goes on lo as /128 nodad and the neighbour gets no advertisement for it', () => {
    lab.rs.addr('eth0', `${VIP6}/64`);
    try {
      expect(ndAnswered(VIP6)).toBe(true);
    } finally {
      lab.rs.ip('addr', 'del', `${VIP6}/64`, 'dev', 'eth0');
    }
    const setup = lab.lvsd(['setup', '--mode', 'dr', '--vip', VIP6, '--state', state]);
    expect(setup.status, setup.stdout + setup.stderr).toBe(0);
    const lo = JSON.parse(lab.rs.ip('-j', '-6', 'addr', 'show', 'dev', 'lo')) as Array<{ addr_info: Array<{ local: string; prefixlen: number; nodad?: boolean; tentative?: boolean }> }>;
    expect(lo[0]?.addr_info.find((a) => a.local === VIP6)).toMatchObject({ prefixlen: 128, nodad: true });
    expect(lo[0]?.addr_info.find((a) => a.local === VIP6)?.tentative).toBeUndefined();
    expect(ndAnswered(VIP6)).toBe(false);
    expect(lab.lvsd(['teardown', '--state', state]).status).toBe(0);
    expect(lab.rs.addresses('lo')).not.toContain(`${VIP6}/128`);
  });

  it('examples/realserver-arp.sh does the same: setup passes lvsd check, the VIP is silent, teardown restores', () => {
    const before = lab.sysctls();
    const setup = lab.script(['setup', '--mode', 'dr', '--vip', `${VIP},${VIP6}`, '--state', state]);
    expect(setup.status, setup.stdout + setup.stderr).toBe(0);
    const check = lab.lvsd(['check', '--mode', 'dr', '--vip', `${VIP},${VIP6}`]);
    expect(check.status, check.stdout).toBe(0);
    expect(arpAnswered(VIP)).toBe(false);
    expect(lab.script(['check', '--mode', 'dr', '--vip', `${VIP},${VIP6}`]).status).toBe(0);
    const again = lab.script(['setup', '--mode', 'dr', '--vip', `${VIP},${VIP6}`, '--state', state]);
    expect(again.stdout).not.toMatch(/^added|->/m);
    const teardown = lab.script(['teardown', '--state', state]);
    expect(teardown.status, teardown.stdout + teardown.stderr).toBe(0);
    expect(lab.sysctls()).toBe(before);
    expect(lab.rs.addresses('lo').filter((a) => a.startsWith(VIP) || a.startsWith(VIP6))).toEqual([]);
  });

  it('teardown without a state file removes only the VIP carrying the lvsd label', () => {
    expect(lab.lvsd(dr('setup')).status).toBe(0);
    lab.rs.ip('addr', 'add', '198.18.0.101/32', 'dev', 'lo');
    const teardown = lab.lvsd(['teardown', '--mode', 'dr', '--vip', `${VIP},198.18.0.101`, '--state', join(lab.dir, 'missing.json')]);
    expect(teardown.status).toBe(0);
    expect(teardown.stdout).toContain('remove 198.18.0.100/32 from lo');
    expect(teardown.stdout).toContain('198.18.0.101/32 on lo has no lvsd mark: not provably ours, left alone');
    expect(lab.rs.addresses('lo')).toEqual(expect.arrayContaining(['198.18.0.101/32']));
    expect(lab.rs.addresses('lo')).not.toContain(`${VIP}/32`);
    lab.rs.ip('addr', 'del', '198.18.0.101/32', 'dev', 'lo');
    // The sysctls setup changed stay (no record of their previous values); put them back via the record.
    expect(lab.lvsd(['teardown', '--state', state]).status).toBe(0);
  });

  it('NAT: check passes with the default route via the director and says what to change otherwise', () => {
    const good = lab.lvsd(['check', '--mode', 'nat', '--gateway', '198.18.0.1']);
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('ok    ipv4 default route via 198.18.0.1 (dev eth0)');
    const wrong = lab.lvsd(['check', '--mode', 'nat', '--gateway', '198.18.0.9']);
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toContain('FAIL  ipv4 default route goes via 198.18.0.1 (dev eth0), not via the director 198.18.0.9');
    expect(wrong.stdout).toContain('fix: ip route replace default via 198.18.0.9');
    const none = lab.lvsd(['check', '--mode', 'nat', '--gateway', '2001:2::1']);
    expect(none.status).toBe(1);
    expect(none.stdout).toContain('FAIL  no ipv6 default route');
    expect(lab.script(['check', '--mode', 'nat', '--gateway', '198.18.0.1']).status).toBe(0);
    expect(lab.script(['check', '--mode', 'nat', '--gateway', '198.18.0.9']).status).toBe(1);
  });

  it('usage errors exit 2', () => {
    expect(lab.lvsd(['check', '--mode', 'dr']).status).toBe(2);
    expect(lab.lvsd(['check', '--mode', 'nat']).status).toBe(2);
    expect(lab.lvsd(['setup', '--mode', 'fwd', '--vip', VIP]).status).toBe(2);
    expect(lab.script(['check', '--mode', 'dr']).status).toBe(2);
  });
});
