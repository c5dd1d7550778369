// Bad BGP settings are refused at file:line:col with what was expected: AS numbers (range and
// the reserved ones, with the reason), peer address families, BFD timers, the hold time, the
// kernel table and VIPs that no service has. The nearest valid config passes.
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { check, type Obj } from '../config/builders.js';
import { bgpService, peer, withBgp } from './fixtures.js';

const errors = (config: Obj) => check(config).errors;

describe('bgp config rules', () => {
  it('a valid section loads with its defaults', () => {
    const result = parseConfigText(stringify(withBgp({})), 'c.yaml');
    expect(result.ok && result.config.bgp).toMatchObject({ table: 100, hold_time: 30_000, error_wait: { min: 60_000, max: 300_000 }, bfd: { interval: 100, multiplier: 3 }, bird_socket: '/run/bird/bird.ctl', communities: [], flow_takeover: true });
    expect(check(withBgp({}))).toEqual({ errors: [], warnings: ['services[0].vip: 198.18.0.100 is not floated by any VRRP instance, it must already be configured on this host', 'services[1].vip: 2001:2::100 is not floated by any VRRP instance, it must already be configured on this host'] });
  });

  it('AS numbers: 1-4294967295, reserved ones refused with the reason', () => {
    expect(errors(withBgp({ local_as: 0 }))).toEqual(['bgp.local_as: 0 is out of range, expected an AS number 1-4294967295']);
    expect(errors(withBgp({ local_as: 4294967296 }))).toHaveLength(1);
    expect(errors(withBgp({ local_as: 23456 }))).toEqual(['bgp.local_as: AS 23456 is AS_TRANS, which stands in for 4-octet AS numbers on old sessions (RFC 6793), expected a public AS number or a private one (64512-65534, 4200000000-4294967294)']);
    expect(errors(withBgp({ peers: [peer({ as: 64500 })], vips: ['198.18.0.100'] }))).toEqual([
      'bgp.peers[0].as: AS 64500 is reserved for documentation (RFC 5398), expected a public AS number or a private one (64512-65534, 4200000000-4294967294)',
    ]);
    for (const as of [65535, 65540, 100000, 4294967295]) expect(errors(withBgp({ local_as: as }))[0]).toMatch(/^bgp\.local_as: AS \d+ is reserved/);
    for (const as of [1, 64512, 65534, 131072, 4200000000, 4294967294]) expect(errors(withBgp({ local_as: as }))).toEqual([]);
  });

  it('errors point at the line and column of the offending value', () => {
    const text = stringify(withBgp({ local_as: 65535 }));
    const result = parseConfigText(text, 'c.yaml');
    expect(result.ok).toBe(false);
    const line = text.split('\n').findIndex((l) => l.includes('local_as')) + 1;
    if (!result.ok) expect(result.errors[0]).toMatchObject({ file: 'c.yaml', line, col: 13 });
  });

  it('router id is an IPv4 address', () => {
    expect(errors(withBgp({ router_id: '2001:2::1' }))[0]).toMatch(/^bgp\.router_id: 2001:2::1 is ipv6, expected an IPv4 address/);
    expect(errors(withBgp({ router_id: 'lb1' }))).toHaveLength(1);
  });

  it('peer address family: source address of the peer\'s family, unicast peers, one family per VIP', () => {
    expect(errors(withBgp({ peers: [peer({ source_address: '2001:2::1' }), peer({ name: 'r1v6', address: '2001:2::fe' })] }))).toEqual([
      'bgp.peers[0].source_address: 2001:2::1 is ipv6 but peer 198.18.0.254 is ipv4, expected a source address of the peer\'s family',
    ]);
    expect(errors(withBgp({ peers: [peer({ address: '224.0.0.5' }), peer({ name: 'r1v6', address: '2001:2::fe' })] }))[0]).toMatch(/^bgp\.peers\[0\]\.address: 224\.0\.0\.5 is not a unicast address \(multicast\)/);
    expect(errors(withBgp({ peers: [peer()] }))).toEqual([
      'bgp.peers: 2001:2::100 is ipv6 but no peer is, so it would be announced to nobody; expected an ipv6 peer (or leave ipv6 VIPs out of bgp.vips)',
    ]);
    expect(errors(withBgp({ peers: [peer()], vips: ['198.18.0.100', '2001:2::100'] }))).toEqual([
      'bgp.vips[1]: 2001:2::100 is ipv6 but no peer is, so it would be announced to nobody; expected an ipv6 peer (or leave ipv6 VIPs out of bgp.vips)',
    ]);
    expect(errors(withBgp({ peers: [peer()], vips: ['198.18.0.100'] }))).toEqual([]);
    expect(errors(withBgp({ peers: [peer(), peer({ name: 'r2' })], vips: ['198.18.0.100'] }))[0]).toMatch(/^bgp\.peers\[1\]\.address: peer 198\.18\.0\.254 is already configured by bgp\.peers\[0\]/);
    expect(errors(withBgp({ peers: [peer(), peer({ address: '2001:2::fe' })] }))[0]).toMatch(/^bgp\.peers\[1\]\.name: peer name "r1" is already used/);
  });

  it('BFD timers within bounds', () => {
    expect(errors(withBgp({ bfd: { interval: '5ms' } }))[0]).toMatch(/^bgp\.bfd\.interval: 5ms is too short, expected at least 10ms/);
    expect(errors(withBgp({ bfd: { interval: '11s' } }))[0]).toMatch(/^bgp\.bfd\.interval: .*expected at most 10s/);
    expect(errors(withBgp({ bfd: { multiplier: 0 } }))[0]).toMatch(/^bgp\.bfd\.multiplier: .*expected a BFD detect multiplier 1-255/);
    expect(errors(withBgp({ bfd: { multiplier: 256 } }))).toHaveLength(1);
    expect(errors(withBgp({ bfd: { interval: '10ms', multiplier: 1 } }))).toEqual([]);
  });

  it('hold time in whole seconds, at least 3s', () => {
    expect(errors(withBgp({ hold_time: '2s' }))).toEqual(['bgp.hold_time: 2s is not a BGP hold time, expected whole seconds from 3s to 65535s (RFC 4271)']);
    expect(errors(withBgp({ hold_time: '3500ms' }))).toHaveLength(1);
    expect(errors(withBgp({ hold_time: '18h12m16s' }))).toHaveLength(1);
    expect(errors(withBgp({ hold_time: '3s' }))).toEqual([]);
  });

  it('error_wait: whole seconds from 1s, min not above max', () => {
    expect(errors(withBgp({ error_wait: { min: '500ms' } }))).toEqual(['bgp.error_wait.min: 500ms is not a whole number of seconds from 1s, expected e.g. 5s']);
    expect(errors(withBgp({ error_wait: { min: '1500ms', max: '10s' } }))).toHaveLength(1);
    expect(errors(withBgp({ error_wait: { min: '10s', max: '5s' } }))).toEqual(['bgp.error_wait.max: 5s is shorter than min 10s, expected a max of at least the min']);
    expect(errors(withBgp({ error_wait: { min: '1s', max: '1s' } }))).toEqual([]);
  });

  it('the kernel table is not one the kernel uses', () => {
    expect(errors(withBgp({ table: 254 }))).toEqual(['bgp.table: table 254 is the kernel\'s main table, where lvsd\'s routes would change how this host forwards; expected a table of its own such as 100']);
    expect(errors(withBgp({ table: 0 }))).toHaveLength(1);
    expect(errors(withBgp({ table: 100000 }))).toEqual([]);
  });

  it('VIPs must be service VIPs, each once', () => {
    expect(errors(withBgp({ vips: ['198.18.0.101'] }))).toEqual(['bgp.vips[0]: 198.18.0.101 is not the VIP of any service, expected one of the services\' VIPs (198.18.0.100, 2001:2::100)']);
    expect(errors(withBgp({ vips: ['198.18.0.100', '198.18.0.100'] }))[0]).toMatch(/^bgp\.vips\[1\]: 198\.18\.0\.100 is already listed at bgp\.vips\[0\]/);
  });

  it('passwords and communities BIRD can take', () => {
    expect(errors(withBgp({ peers: [peer({ password: 'a"b' })], vips: ['198.18.0.100'] }))[0]).toMatch(/^bgp\.peers\[0\]\.password: .*without " or \\/);
    expect(errors(withBgp({ communities: ['65000:70000'] }))[0]).toMatch(/^bgp\.communities\[0\]: .*expected a community such as 65000:100/);
    expect(errors(withBgp({ communities: ['65000:100', '4200000000:1:2'] }))).toEqual([]);
  });

  it('warns when a VIP announced over BGP is not scheduled consistently across directors', () => {
    const rs = [{ address: '198.18.1.11' }, { address: '198.18.1.12' }];
    const warnings = (svc: Obj) => check(withBgp({ vips: ['198.18.0.100'], peers: [peer()] }, [svc])).warnings.filter((w) => !w.includes('not floated'));
    expect(warnings(bgpService({ scheduler: 'wlc', scheduler_flags: [] }))).toEqual([
      'services[0].scheduler: wlc picks real servers per director, so a flow ECMP moves to another director lands on another real server and breaks; expected scheduler: mh with scheduler_flags: [mh-port] for a VIP announced over BGP',
    ]);
    expect(warnings(bgpService({ on_failure: 'remove', real_servers: rs }))).toEqual([
      'services[0].on_failure: mh builds its table in the order of the real servers, and a removed server comes back last on this director only; expected on_failure: drain so every director keeps the same order',
    ]);
    expect(warnings(bgpService({ real_servers: rs }))).toEqual([]);
    // A VIP that is not announced is not judged.
    expect(check(withBgp({ vips: ['198.18.0.100'], peers: [peer()] }, [bgpService(), { name: 'other', vip: '198.18.0.101', port: 80 }])).warnings.filter((w) => !w.includes('not floated'))).toEqual([]);
  });
});
