// setup/teardown end to end on the in-memory host: idempotence, the record, restoring previous
// values, leaving alone what changed since, and teardown without a record.
import { describe, expect, it } from 'vitest';
import { checkSetup, setupRealServer, teardownRealServer } from '../../../../src/cli/realserver/procedures.js';
import { emptyRecord, parseRecord, recordStep, type RealServerRecord } from '../../../../src/cli/realserver/record.js';
import { parseSpec } from '../../../../src/cli/realserver/spec.js';
import { persistSnippets } from '../../../../src/cli/realserver/persist.js';
import { drHost } from './fake-host.js';

const STATE = '/run/lvsd/realserver.json';

async function setup(host: ReturnType<typeof drHost>, args: Parameters<typeof parseSpec>[0], record = emptyRecord()) {
  const saved: RealServerRecord[] = [];
  const outcome = await setupRealServer(host, parseSpec(args), record, (r) => saved.push(r));
  return { ...outcome, saved };
}

describe('setup', () => {
  it('DR: applies the plan, records previous values, and passes check', async () => {
    const host = drHost();
    const { applied, record, results, saved } = await setup(host, { mode: 'dr', vip: ['198.18.0.100'] });
    expect(applied).toHaveLength(5);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(saved).toHaveLength(5);
    expect(record.changes).toEqual([
      { kind: 'address', ifname: 'lo', family: 4, address: '198.18.0.100', prefix: 32 },
      { kind: 'sysctl', key: 'net/ipv4/conf/all/arp_ignore', previous: '0', applied: '1' },
      { kind: 'sysctl', key: 'net/ipv4/conf/all/arp_announce', previous: '0', applied: '2' },
      { kind: 'sysctl', key: 'net/ipv4/conf/eth0/arp_ignore', previous: '0', applied: '1' },
      { kind: 'sysctl', key: 'net/ipv4/conf/eth0/arp_announce', previous: '0', applied: '2' },
    ]);
    // The record survives a round trip through the state file format.
    expect(parseRecord(JSON.stringify(record), STATE)).toEqual(record);
  });

  it('running setup twice changes nothing the second time', async () => {
    const host = drHost();
    const first = await setup(host, { mode: 'dr', vip: ['198.18.0.100', '2001:2::100'] });
    const writes = host.writes.length;
    const second = await setup(host, { mode: 'dr', vip: ['198.18.0.100', '2001:2::100'] }, first.record);
    expect(second.applied).toEqual([]);
    expect(second.saved).toEqual([]);
    expect(second.record).toEqual(first.record);
    expect(host.writes).toHaveLength(writes);
  });

  it('TUN: loads ipip, then brings tunl0 up with the VIP and relaxes rp_filter, in bounded rounds', async () => {
    const host = drHost();
    host.sysctls.set('net/ipv4/conf/all/rp_filter', '1');
    const { record, results } = await setup(host, { mode: 'tun', vip: ['198.18.0.100'] });
    expect(host.writes[0]).toBe('modprobe ipip');
    expect(host.links_.find((l) => l.name === 'tunl0')?.up).toBe(true);
    expect(host.addresses_).toContainEqual({ ifname: 'tunl0', family: 4, address: '198.18.0.100', prefix: 32, ours: true });
    expect(host.sysctls.get('net/ipv4/conf/all/rp_filter')).toBe('2');
    expect(host.sysctls.get('net/ipv4/conf/tunl0/rp_filter')).toBe('2');
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(record.changes.map((c) => c.kind)).toEqual(['module', 'sysctl', 'sysctl', 'sysctl', 'sysctl', 'sysctl', 'link-up', 'address', 'sysctl']);
  });

  it('a later setup with another VIP keeps the value from before the first setup', () => {
    let record = recordStep(emptyRecord(), { kind: 'set-sysctl', key: 'net/ipv4/conf/all/arp_ignore', from: '0', to: '1', why: '' });
    record = recordStep(record, { kind: 'set-sysctl', key: 'net/ipv4/conf/all/arp_ignore', from: '1', to: '2', why: '' });
    expect(record.changes).toEqual([{ kind: 'sysctl', key: 'net/ipv4/conf/all/arp_ignore', previous: '0', applied: '2' }]);
  });
});

describe('teardown', () => {
  it('restores every sysctl to its previous value and removes what setup added', async () => {
    const host = drHost();
    host.sysctls.set('net/ipv4/conf/eth0/arp_announce', '1');
    const before = new Map(host.sysctls);
    const { record } = await setup(host, { mode: 'dr', vip: ['198.18.0.100'] });
    const saved: RealServerRecord[] = [];
    const outcome = await teardownRealServer(host, record, undefined, STATE, (r) => saved.push(r));
    expect(host.sysctls).toEqual(before);
    expect(host.addresses_.some((a) => a.address === '198.18.0.100')).toBe(false);
    expect(outcome.record?.changes).toEqual([]);
    expect(outcome.notes).toEqual([]);
    // Undone newest first; each step saved so an interrupted teardown resumes where it stopped.
    expect(outcome.applied.map((s) => s.kind)).toEqual(['set-sysctl', 'set-sysctl', 'set-sysctl', 'set-sysctl', 'remove-address']);
    expect(saved.map((r) => r.changes.length)).toEqual([4, 3, 2, 1, 0]);
  });

  it('TUN: takes tunl0 down again but leaves the module loaded, and says so', async () => {
    const host = drHost();
    const { record } = await setup(host, { mode: 'tun', vip: ['198.18.0.100'] });
    const outcome = await teardownRealServer(host, record, undefined, STATE, () => undefined);
    expect(host.links_.find((l) => l.name === 'tunl0')?.up).toBe(false);
    expect(host.addresses_.filter((a) => a.ifname === 'tunl0')).toEqual([]);
    expect(outcome.notes).toEqual([expect.stringContaining('module ipip stays loaded')]);
    expect((await checkSetup(host, parseSpec({ mode: 'tun', vip: ['198.18.0.100'] }))).results.some((r) => !r.ok)).toBe(true);
  });

  it('leaves alone a value someone changed after setup, and an address already gone', async () => {
    const host = drHost();
    const { record } = await setup(host, { mode: 'dr', vip: ['198.18.0.100'] });
    host.sysctls.set('net/ipv4/conf/all/arp_ignore', '2');
    host.addresses_ = host.addresses_.filter((a) => a.address !== '198.18.0.100');
    const outcome = await teardownRealServer(host, record, undefined, STATE, () => undefined);
    expect(host.sysctls.get('net/ipv4/conf/all/arp_ignore')).toBe('2');
    expect(host.sysctls.get('net/ipv4/conf/all/arp_announce')).toBe('0');
    expect(outcome.notes).toEqual([
      'net.ipv4.conf.all.arp_ignore is 2, not the 1 setup wrote: changed since, left alone (it was 0 before setup)',
      '198.18.0.100/32 is no longer on lo; nothing to remove',
    ]);
    expect(outcome.record?.changes).toEqual([]);
  });

  it('keeps tunl0 up when it carries an address setup did not add', async () => {
    const host = drHost();
    const { record } = await setup(host, { mode: 'tun', vip: ['198.18.0.100'] });
    host.addAddressState({ ifname: 'tunl0', family: 4, address: '198.18.0.200', prefix: 32 });
    const outcome = await teardownRealServer(host, record, undefined, STATE, () => undefined);
    expect(host.links_.find((l) => l.name === 'tunl0')?.up).toBe(true);
    expect(outcome.notes).toContain('tunl0 stays up: it carries 198.18.0.200/32, which setup did not add');
  });

  it('takes ip6tnl0 down again although the kernel gave it a link-local address', async () => {
    const host = drHost();
    const { record } = await setup(host, { mode: 'tun', vip: ['2001:2::100'] });
    host.addAddressState({ ifname: 'ip6tnl0', family: 6, address: 'fe80::1', prefix: 64 });
    const outcome = await teardownRealServer(host, record, undefined, STATE, () => undefined);
    expect(host.links_.find((l) => l.name === 'ip6tnl0')?.up).toBe(false);
    expect(outcome.notes).toEqual([expect.stringContaining('module ip6_tunnel stays loaded')]);
  });

  it('without a record removes only addresses carrying the lvsd mark and restores no sysctl', async () => {
    const host = drHost();
    await setup(host, { mode: 'dr', vip: ['198.18.0.100'] });
    host.addAddressState({ ifname: 'lo', family: 4, address: '198.18.0.101', prefix: 32 });
    const spec = parseSpec({ mode: 'dr', vip: ['198.18.0.100', '198.18.0.101'] });
    const outcome = await teardownRealServer(host, undefined, spec, STATE, () => undefined);
    expect(outcome.applied).toMatchObject([{ kind: 'remove-address', address: '198.18.0.100' }]);
    expect(host.addresses_.map((a) => a.address)).toEqual(['198.18.0.2', '198.18.0.101']);
    expect(host.sysctls.get('net/ipv4/conf/all/arp_ignore')).toBe('1');
    expect(outcome.notes).toEqual([
      `no state file at ${STATE}: sysctls stay as they are (their values before setup were not recorded)`,
      '198.18.0.101/32 on lo has no lvsd mark: not provably ours, left alone',
    ]);
  });
});

describe('persist snippets', () => {
  it('prints sysctl.d, networkd, ifupdown and ip lines for what setup does', async () => {
    const host = drHost();
    const spec = parseSpec({ mode: 'dr', vip: ['198.18.0.100', '2001:2::100'] });
    const { wanted } = await checkSetup(host, spec);
    const text = persistSnippets(spec, wanted);
    expect(text).toContain('net.ipv4.conf.all.arp_ignore = 1');
    expect(text).toContain('net.ipv4.conf.eth0.arp_announce = 2');
    expect(text).toContain('Address=2001:2::100/128\nDuplicateAddressDetection=none');
    expect(text).toContain('    up ip addr add 198.18.0.100/32 dev lo');
    expect(text).toContain('ip addr add 2001:2::100/128 dev lo nodad');
  });

  it('NAT: the default route, in each format', () => {
    const spec = parseSpec({ mode: 'nat', gateway: '198.18.0.1' });
    expect(persistSnippets(spec, { uplinks: { names: [], source: '' }, tunnels: [], addresses: [], sysctls: [], effective: [] })).toContain(
      'ip route replace default via 198.18.0.1',
    );
  });
});

describe('spec', () => {
  it.each([
    [{ vip: ['198.18.0.100'] }, '--mode is required'],
    [{ mode: 'fwd', vip: ['198.18.0.100'] }, '--mode must be dr, tun or nat'],
    [{ mode: 'dr' }, '--mode dr needs --vip'],
    [{ mode: 'dr', vip: ['198.18.0.300'] }, 'not an IPv4 or IPv6 address'],
    [{ mode: 'dr', vip: ['198.18.0.100'], gateway: '198.18.0.1' }, '--gateway is only used with --mode nat'],
    [{ mode: 'nat' }, '--mode nat needs --gateway'],
    [{ mode: 'nat', gateway: '198.18.0.1', vip: ['198.18.0.100'] }, '--vip is not used with --mode nat'],
    [{ mode: 'dr', vip: ['198.18.0.100'], uplink: ['lo'] }, 'lo cannot be an uplink'],
    [{ mode: 'dr', vip: ['198.18.0.100'], uplink: ['a/b'] }, 'not an interface name'],
  ])('%j is a usage error: %s', (args, message) => {
    expect(() => parseSpec(args)).toThrow(message);
  });

  it('accepts a VIP written with its host prefix and canonicalizes IPv6', () => {
    expect(parseSpec({ mode: 'dr', vip: ['198.18.0.100/32,2001:2:0::1/128'] }).vips).toEqual([
      { family: 4, address: '198.18.0.100' },
      { family: 6, address: '2001:2::1' },
    ]);
  });
});
