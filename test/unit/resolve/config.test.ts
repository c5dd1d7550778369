// Real servers by name in the config: which addresses and names are taken, the resolver section
// and its contradictions, each reported at file:line:col; and the config the daemon runs on once
// the names have addresses (materialize).
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { familiesByName, materialize, nameEntries } from '../../../src/resolve/materialize.js';
import { check, service, type Obj } from '../config/builders.js';
import { stringify } from 'yaml';

const withServices = (services: Obj[], top: Obj = {}): Obj => ({ node: { name: 'lb1' }, vrrp: { instances: [{ name: 'web', interface: 'eth0', vrid: 51, vips: ['198.18.0.100/24'] }, { name: 'web6', interface: 'eth0', vrid: 52, vips: ['2001:2::100/64'] }] }, services, ...top });
const load = (config: Obj): Config => {
  const r = parseConfigText(stringify(config), 'c.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.config;
};

describe('config: real servers by name', () => {
  it('an address may be a DNS name (kept in host, lower case, no final dot) or discover: NAME', () => {
    const c = load(withServices([service({ real_servers: [{ address: 'App1.Lab.Test.' }, { discover: 'pool.lab.test', weight: 5 }, { address: '198.18.1.1' }] })]));
    expect(c.services[0]?.real_servers).toMatchObject([
      { address: 'app1.lab.test', host: 'app1.lab.test', port: 80 },
      { address: 'pool.lab.test', host: 'pool.lab.test', discover: true, weight: 5 },
      { address: '198.18.1.1' },
    ]);
    expect(c.services[0]?.real_servers[2]?.host).toBeUndefined();
    expect(c.resolver).toEqual({ nameservers: [], timeout: 1_000, retries: 2, resolve_prefer: 'ipv4', ttl_floor: 1_000, ttl_ceiling: 300_000, hold: 300_000 });
  });

  it('bad names, address with discover, neither, floor above ceiling and unknown keys are refused at file:line:col', () => {
    const text = [
      'node: { name: lb1 }',
      'resolver:',
      '  nameservers: [198.18.0.53, "198.18.0.54:5353", "[2001:2::53]:53"]',
      '  ttl_floor: 10m',
      '  ttl_ceiling: 5m',
      'services:',
      '  - name: web',
      '    vip: 198.18.0.100',
      '    port: 80',
      '    real_servers:',
      '      - { address: 198.18.1.1, discover: pool.lab.test }',
      '      - { weight: 2 }',
      '',
    ].join('\n');
    const r = parseConfigText(text, 'lvsd.yaml');
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`)).toEqual([
      '11:42: services[0].real_servers[0].discover: discover cannot be combined with address, expected one of them',
      '12:9: services[0].real_servers[1]: key "address" is missing, expected an address or a DNS name (or discover: NAME)',
    ]);
    // Cross-field rules run once the shapes are right.
    const floor = parseConfigText(text.split('\n').slice(0, 9).join('\n'), 'lvsd.yaml');
    expect(floor.ok ? [] : floor.errors.map((e) => `${e.line}:${e.col}: ${e.message}`)).toEqual(['4:14: resolver.ttl_floor: 10m is above ttl_ceiling 5m, expected ttl_floor <= ttl_ceiling']);
    expect(check(withServices([service({ real_servers: [{ address: 'app_1.lab.test' }] })])).errors[0]).toMatch(/real_servers\[0\]\.address: .* expected an IPv4 or IPv6 address such as 198.18.0.1, or a DNS name/);
    expect(check(withServices([service({ real_servers: [{ address: 'app1' }] })])).errors[0]).toMatch(/a DNS name such as/);
    expect(check(withServices([service({ real_servers: [{ address: '198.18.1.300' }] })])).errors[0]).toMatch(/real_servers\[0\]\.address/);
    expect(check(withServices([service({ real_servers: [{ discover: '-bad.lab.test' }] })])).errors[0]).toMatch(/discover: .* expected a DNS name/);
    expect(check(withServices([], { resolver: { nameservers: ['ns1.lab.test'] } })).errors[0]).toMatch(/resolver\.nameservers\[0\]: .* expected a nameserver address/);
    expect(check(withServices([], { resolver: { prefer: 'ipv6' } })).errors[0]).toMatch(/resolver: unknown key "prefer".*resolve_prefer/);
    expect(check(withServices([], { resolver: { resolve_prefer: 'ipv5' } })).errors[0]).toMatch(/expected one of ipv4, ipv6/);
  });

  it('address checks wait for the addresses; the rest apply to a name as to an address', () => {
    expect(check(withServices([service({ real_servers: [{ address: 'app1.lab.test', port: 8080 }] })])).errors[0]).toMatch(/real_servers\[0\]\.port: 8080 differs from the service port/);
    expect(check(withServices([service({ vip: '2001:2::100', real_servers: [{ address: 'app1.lab.test' }] })])).errors).toEqual([]);
  });
});

describe('materialize: the config with the names at their addresses', () => {
  const c = load(withServices([
    service({ real_servers: [{ address: 'app1.lab.test', weight: 7 }, { discover: 'pool.lab.test' }, { address: '198.18.1.1' }] }),
    service({ name: 'tun6', vip: '2001:2::100', forwarding: 'tun', real_servers: [{ address: 'app1.lab.test' }] }),
    service({ name: 'plain', vip: '198.18.0.100', port: 443, real_servers: [{ address: '198.18.1.1' }] }),
  ], { resolver: { resolve_prefer: 'ipv6' } }));

  it('knows which families each entry may use: the service family, either through a tunnel (prefer first)', () => {
    expect(nameEntries(c)).toEqual([
      { service: 'web', name: 'app1.lab.test', port: 80, discover: false, families: [4] },
      { service: 'web', name: 'pool.lab.test', port: 80, discover: true, families: [4] },
      { service: 'tun6', name: 'app1.lab.test', port: 80, discover: false, families: [6, 4] },
    ]);
    expect(familiesByName(nameEntries(c))).toEqual(new Map([['app1.lab.test', [4, 6]], ['pool.lab.test', [4]]]));
  });

  it('one real server per placed address with the entry settings; duplicates and the VIP left out and reported', () => {
    const placed: Record<string, string[]> = {
      'web|app1.lab.test:80': ['198.18.3.1'],
      'web|discover:pool.lab.test:80': ['198.18.3.1', '198.18.3.2', '198.18.1.1', '198.18.0.100'],
      'tun6|app1.lab.test:80': [],
    };
    const out = materialize(c, (key) => placed[key] ?? []);
    expect(out.config.services[0]?.real_servers.map((rs) => [rs.address, rs.host, rs.weight])).toEqual([
      ['198.18.3.1', 'app1.lab.test', 7],
      ['198.18.3.2', 'pool.lab.test', 1],
      ['198.18.1.1', undefined, 1],
    ]);
    expect(out.config.services[1]?.real_servers).toEqual([]);
    expect(out.config.services[2]).toBe(c.services[2]);
    expect(out.skipped).toEqual([
      { service: 'web', name: 'pool.lab.test', address: '198.18.3.1', why: 'the service already has it' },
      { service: 'web', name: 'pool.lab.test', address: '198.18.1.1', why: 'the service already has it' },
      { service: 'web', name: 'pool.lab.test', address: '198.18.0.100', why: 'it is the VIP' },
    ]);
  });
});
