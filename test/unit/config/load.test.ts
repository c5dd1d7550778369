import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigLoader, formatIssue, loadConfigFile, parseConfigText, type LoadResult } from '../../../src/config/load.js';
import { listChecks } from '../../../src/config/schema-checks.js';

const examplePath = fileURLToPath(new URL('../../../examples/lvsd.yaml', import.meta.url));

function loaded(result: LoadResult) {
  if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
  return result.config;
}

const errorsOf = (text: string): string[] => {
  const result = parseConfigText(text, 't.yaml');
  return result.ok ? [] : result.errors.map(formatIssue);
};

describe('examples/lvsd.yaml', () => {
  it('starts with the yaml-language-server schema comment', () => {
    expect(readFileSync(examplePath, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./lvsd.schema.json');
  });

  it('loads without errors or warnings, durations in ms and defaults filled in', async () => {
    const result = await loadConfigFile(examplePath);
    expect(result.warnings).toEqual([]);
    const config = loaded(result);
    expect(config.node).toEqual({ name: 'lb1' });
    const [web] = config.vrrp.instances;
    expect(web).toMatchObject({
      name: 'web', interface: 'eth0', vrid: 51, priority: 150, version: 3, advert_interval: 100,
      preempt: true, preempt_delay: 0, accept: true, checksum: 'auto', unicast_peers: [],
      vips: [{ address: '198.18.0.100', prefix: 24 }],
    });
    const [svc] = config.services;
    expect(svc).toMatchObject({
      name: 'web', vip: '198.18.0.100', port: 80, protocol: 'tcp', family: 'ipv4', scheduler: 'wrr',
      forwarding: 'dr', persistence: 300_000, on_failure: 'remove', quorum: 0,
      check: { type: 'http', path: '/healthz', expect_status: [200], interval: 2000, timeout: 1000, rise: 2, fall: 3, method: 'GET', warmup: 0 },
    });
    expect(svc?.real_servers).toEqual([
      { address: '198.18.1.11', port: 80, weight: 100, forwarding: 'dr' },
      { address: '198.18.1.12', port: 80, weight: 50, forwarding: 'dr' },
    ]);
    expect(config.control.socket).toBe('/run/lvsd/lvsd.sock');
    expect(config.metrics.listen).toBe('127.0.0.1:9810');
    expect(config.ipvs).toEqual({
      purge_unmanaged: false, remove_on_exit: false, state_dir: '/var/lib/lvsd', max_removal_percent: 50, timeouts: {}, resync_interval: 60_000,
      sync_daemon: { enabled: false, sync_id: 0, follow_vrrp: true },
    });
  });
});

describe('normalization', () => {
  it('accepts every VIP spelling and canonicalizes addresses', () => {
    const config = loaded(parseConfigText(`
node: { name: lb1 }
vrrp:
  instances:
    - name: v4
      interface: eth0
      vrid: 1
      vips: [198.18.0.1, 198.18.0.2/24, { address: 198.18.0.3 }, { address: 198.18.0.4, prefix: 25, dev: eth1, label: "eth1:vip" }]
    - name: v6
      interface: eth0
      vrid: 1
      vips: ["2001:0002::0001/64", { address: "2001:2::2" }]
`, 't.yaml'));
    expect(config.vrrp.instances[0]?.vips).toEqual([
      { address: '198.18.0.1', prefix: 32 },
      { address: '198.18.0.2', prefix: 24 },
      { address: '198.18.0.3', prefix: 32 },
      { address: '198.18.0.4', prefix: 25, dev: 'eth1', label: 'eth1:vip' },
    ]);
    expect(config.vrrp.instances[1]?.vips).toEqual([
      { address: '2001:2::1', prefix: 64 },
      { address: '2001:2::2', prefix: 128 },
    ]);
  });

  it('resolves real server and sorry server ports and forwarding against the service', () => {
    const config = loaded(parseConfigText(`
node: { name: lb1 }
services:
  - name: web
    vip: 198.18.0.100
    port: 80
    forwarding: nat
    sorry_server: { address: 198.18.1.99 }
    real_servers:
      - { address: 198.18.1.11 }
      - { address: 198.18.1.12, port: 8080 }
      - { address: 198.18.1.13, forwarding: dr }
`, 't.yaml'));
    const [svc] = config.services;
    expect(svc?.real_servers.map((rs) => [rs.port, rs.forwarding, rs.weight])).toEqual([[80, 'nat', 1], [8080, 'nat', 1], [80, 'dr', 1]]);
    expect(svc?.sorry_server).toEqual({ address: '198.18.1.99', port: 80, forwarding: 'nat' });
  });

  it('builds fwmark services with family and port 0 for their real servers', () => {
    const config = loaded(parseConfigText(`
node: { name: lb1 }
services:
  - { name: m, fwmark: 7, family: ipv6, scheduler: sh, scheduler_flags: [sh-port], real_servers: [{ address: "2001:2::11" }] }
`, 't.yaml'));
    const [svc] = config.services;
    expect(svc).toMatchObject({ fwmark: 7, family: 'ipv6', scheduler: 'sh', scheduler_flags: ['sh-port'] });
    expect(svc?.vip).toBeUndefined();
    expect(svc?.port).toBeUndefined();
    expect(svc?.real_servers[0]?.port).toBe(0);
  });

  it('turns persistence_netmask into a prefix length', () => {
    const text = (vip: string, mask: string) => `
node: { name: lb1 }
services: [{ name: s, vip: "${vip}", port: 443, persistence: 5m, persistence_netmask: ${mask} }]
`;
    expect(loaded(parseConfigText(text('198.18.0.1', '255.255.255.0'), 't')).services[0]?.persistence_netmask).toBe(24);
    expect(loaded(parseConfigText(text('198.18.0.1', '16'), 't')).services[0]?.persistence_netmask).toBe(16);
    expect(loaded(parseConfigText(text('2001:2::1', '64'), 't')).services[0]?.persistence_netmask).toBe(64);
    expect(errorsOf(text('2001:2::1', '"ffff:ffff::"'))).toEqual([
      't.yaml:3:90: services[0].persistence_netmask: "ffff:ffff::" is not a prefix length, expected an IPv6 prefix length 1-128',
    ]);
    expect(errorsOf(text('198.18.0.1', '255.0.255.0'))[0]).toContain('expected a contiguous IPv4 netmask');
  });

  it('fills every check default per type', () => {
    const config = loaded(parseConfigText(`
node: { name: lb1 }
services:
  - name: dns
    vip: 198.18.0.53
    port: 53
    protocol: udp
    check: { type: dns, query_name: example.test }
    real_servers:
      - { address: 198.18.1.53, check: { type: https, path: /health, expect_digest: ${'AB'.repeat(32)} } }
      - { address: 198.18.1.54, check: { type: exec, command: [/usr/lib/lvsd/check-dns, --fast] } }
      - { address: 198.18.1.55, check: { type: udp, send: ping } }
`, 't.yaml'));
    const [svc] = config.services;
    expect(svc?.check).toEqual({ type: 'dns', query_name: 'example.test', query_type: 'A', expect_rcode: 'NOERROR', interval: 2000, timeout: 1000, rise: 2, fall: 3, warmup: 0 });
    expect(svc?.real_servers[0]?.check).toMatchObject({ type: 'https', tls_verify: true, method: 'GET', expect_status: [200], expect_digest: 'ab'.repeat(32) });
    expect(svc?.real_servers[1]?.check).toMatchObject({ type: 'exec', command: ['/usr/lib/lvsd/check-dns', '--fast'] });
    expect(svc?.real_servers[2]?.check).toMatchObject({ type: 'udp', send: 'ping' });
  });
});

describe('positions', () => {
  it('points a missing key at the mapping that lacks it, block and flow style', () => {
    expect(errorsOf('node:\n  nam: lb1\n')).toEqual(['t.yaml:2:3: node: unknown key "nam", did you mean "name"?']);
    expect(errorsOf('node:\n  other: 1\n')[0]).toBe('t.yaml:2:3: node: key "name" is missing, expected a name of 1-64 letters, digits, \'.\', \'_\' or \'-\', starting with a letter or digit');
    expect(errorsOf('node: { name: lb1 }\nservices:\n  - { vip: 198.18.0.1, port: 80 }\n')[0]).toMatch(/^t\.yaml:3:5: services\[0\]: key "name" is missing/);
  });

  it('points at the offending value, including inside flow sequences', () => {
    expect(errorsOf('node: { name: lb1 }\nvrrp:\n  instances:\n    - { name: a, interface: eth0, vrid: 1, vips: [198.18.0.1, bad] }\n')).toEqual([
      't.yaml:4:63: vrrp.instances[0].vips[1]: "bad" is not valid, expected an address with an optional prefix such as 198.18.0.100/24 or 2001:2::100/64',
    ]);
  });

  it('points a key written with no value at that key', () => {
    expect(errorsOf('node:\n')).toEqual(['t.yaml:1:1: node: got an empty value, expected a mapping (key: value)']);
  });

  it('reports one message per problem, in file order', () => {
    const errors = errorsOf(`
node: { name: lb1 }
services:
  - { name: a, vip: 198.18.0.1, port: 80, scheduler: xx }
  - { name: b, vip: 198.18.0.2, port: 80, weight: 3 }
`);
    expect(errors).toEqual([
      't.yaml:4:54: services[0].scheduler: "xx" is not allowed, expected one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos',
      't.yaml:5:43: services[1]: unknown key "weight", expected one of name, vip, port, protocol, fwmark, family, scheduler, scheduler_flags, one_packet, persistence, persistence_netmask, forwarding, quorum, quorum_hysteresis, sorry_server, on_failure, quorum_up, quorum_down, active_on, vrrp_instance, drain_timeout, check, agent, real_servers',
    ]);
  });

  it('accepts << merge keys', () => {
    const config = loaded(parseConfigText(`
node: { name: lb1 }
services:
  - &base { name: a, vip: 198.18.0.1, port: 80, scheduler: rr, persistence: 30s }
  - { <<: *base, name: b, port: 443 }
`, 't.yaml'));
    expect(config.services[1]).toMatchObject({ name: 'b', port: 443, scheduler: 'rr', persistence: 30_000 });
  });

  it('lets a real server override a few check fields through a merge key', () => {
    const config = loaded(parseConfigText(`
node: { name: lb1 }
services:
  - name: web
    vip: 198.18.0.100
    port: 80
    check: &web_check { type: http, path: /healthz, interval: 5s }
    real_servers:
      - { address: 198.18.1.11 }
      - { address: 198.18.1.12, check: { <<: *web_check, port: 8081 } }
`, 't.yaml'));
    expect(config.services[0]?.real_servers[1]?.check).toMatchObject({ type: 'http', path: '/healthz', interval: 5000, port: 8081 });
  });

  it('reports YAML aliases at their anchor and still validates through them', () => {
    const errors = errorsOf(`
node: { name: lb1 }
services:
  - { name: a, vip: 198.18.0.1, port: 80, check: &chk { type: tcp, interval: 1s, timeout: 5s } }
  - { name: b, vip: 198.18.0.2, port: 80, check: *chk }
`);
    expect(errors).toEqual([
      't.yaml:4:91: services[0].check.timeout: timeout 5s is not shorter than interval 1s, expected timeout < interval',
      't.yaml:4:91: services[1].check.timeout: timeout 5s is not shorter than interval 1s, expected timeout < interval',
    ]);
  });
});

describe('robustness', () => {
  it.each([
    ['', 'the file is empty'],
    ['~', 'the file is empty'],
    ['42', 'got 42, expected a mapping'],
    ['"just a string"', 'got "just a string", expected a mapping'],
    ['[', 'YAML syntax error'],
    ['node: !!binary aGVsbG8=', 'node: got "aGVsbG8=", expected a mapping'],
    ['node: { name: lb1 }\nlogging: { level: yes }', 'logging.level: "yes" is not allowed'],
    ['{ node: { name: lb1 }, node: { name: lb2 } }', 'duplicate key'],
    ['a: 1\n---\nb: 2\n', 'more than one YAML document'],
    ['? [complex, key]\n: 1\n', 'unknown key'],
  ])('%j is refused with a message, not an exception', (text, message) => {
    const result = parseConfigText(text, 't.yaml');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.message).join('\n')).toContain(message);
  });

  it('never throws on mutated versions of the example (bounded, seeded)', () => {
    const base = readFileSync(examplePath, 'utf8');
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ':-[]{}#&*!|>"\' \n\tx0.,/';
    let refused = 0;
    for (let round = 0; round < 200; round++) {
      const chars = [...base];
      for (let k = 0; k < 1 + random(4); k++) chars[random(chars.length)] = alphabet[random(alphabet.length)] ?? 'x';
      const result = parseConfigText(chars.join(''), 'fuzz.yaml');
      if (!result.ok) {
        refused++;
        for (const e of result.errors) {
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.col).toBeGreaterThanOrEqual(1);
          expect(e.message.length).toBeGreaterThan(0);
        }
      }
    }
    expect(refused).toBeGreaterThan(50);
  });
});

describe('YAML aliases at scale', () => {
  /** `count` services; the first defines the check, every other one refers to it. */
  const sharedCheck = (count: number, head = ''): string => [
    'node: { name: lb1 }',
    head,
    'vrrp:',
    '  instances:',
    '    - { name: v, interface: eth0, vrid: 1, vips: [198.18.0.1/24] }',
    'services:',
    ...Array.from({ length: count }, (_, i) =>
      `  - { name: s${i}, vip: 198.18.0.1, port: ${i + 1}, check: ${i === 0 ? '&chk { type: http, path: /healthz, interval: 5s }' : '*chk'}, real_servers: [{ address: 198.19.0.1 }] }`),
    '',
  ].join('\n');

  it('loads 10,000 services sharing one check through an anchor', () => {
    const result = parseConfigText(sharedCheck(10_000), 't.yaml');
    if (!result.ok) throw new Error(result.errors.slice(0, 3).map(formatIssue).join('\n'));
    expect(result.config.services).toHaveLength(10_000);
    expect(result.config.services[9_999]?.check).toEqual(result.config.services[0]?.check);
    expect(result.config.services[9_999]?.check).toMatchObject({ type: 'http', path: '/healthz', interval: 5000 });
  }, 120_000);

  it('loads 6,000 aliases through the yaml Document too (a merge key sends the file that way)', () => {
    const head = 'logging: { <<: { level: info } }';
    const result = parseConfigText(sharedCheck(6_000, head), 't.yaml');
    if (!result.ok) throw new Error(result.errors.slice(0, 3).map(formatIssue).join('\n'));
    expect(result.config.services).toHaveLength(6_000);
    expect(result.config.services[5_999]?.check).toMatchObject({ type: 'http', interval: 5000 });
  }, 120_000);
});

describe('ConfigLoader (the daemon\'s reloads)', () => {
  const file = (weights: number[], interval = '2s'): string => [
    'node: { name: lb1 }',
    'vrrp:',
    '  instances:',
    `    - { name: v, interface: eth0, vrid: 1, vips: [${weights.map((_, i) => `198.18.0.${i + 1}`).join(', ')}] }`,
    'services:',
    ...weights.map((w, i) => [
      `  - name: s${i}`,
      `    vip: 198.18.0.${i + 1}`,
      '    port: 80',
      `    check: ${i === 0 ? `&chk { type: tcp, interval: ${interval} }` : '*chk'}`,
      `    real_servers: [{ address: 198.19.0.1, weight: ${w} }]`,
    ].join('\n')),
    '',
  ].join('\n');

  it('validates only the services whose content changed, and loads what a fresh load would', () => {
    const loader = new ConfigLoader();
    expect(loader.parse(file([1, 1, 1]), 't.yaml').ok).toBe(true);
    expect(loader.lastStats).toEqual({ validated: 3, reused: 0 });

    const changed = file([1, 7, 1]);
    const reloaded = loader.parse(changed, 't.yaml');
    expect(loader.lastStats).toEqual({ validated: 1, reused: 2 });
    expect(reloaded).toEqual(parseConfigText(changed, 't.yaml'));
    expect(loaded(reloaded).services[1]?.real_servers[0]?.weight).toBe(7);

    // The same text again is not even read: the result of the last load is the answer.
    expect(loader.parse(changed, 't.yaml')).toBe(reloaded);
    expect(loader.lastStats).toEqual({ validated: 0, reused: 3 });
  });

  it('validates again every service that uses a changed anchor', () => {
    const loader = new ConfigLoader();
    loader.parse(file([1, 1, 1]), 't.yaml');
    const reloaded = loaded(loader.parse(file([1, 1, 1], '3s'), 't.yaml'));
    expect(loader.lastStats).toEqual({ validated: 3, reused: 0 });
    expect(reloaded.services.map((s) => listChecks(s.check)[0]?.interval)).toEqual([3000, 3000, 3000]);
  });

  it('reports a bad reload exactly like a fresh load, and keeps what it knew for the next one', () => {
    const loader = new ConfigLoader();
    loader.parse(file([1, 1, 1]), 't.yaml');
    const bad = file([1, 70_000, 1]);
    expect(loader.parse(bad, 't.yaml')).toEqual(parseConfigText(bad, 't.yaml'));
    expect(loader.parse(file([1, 1, 2]), 't.yaml').ok).toBe(true);
    expect(loader.lastStats).toEqual({ validated: 1, reused: 2 });
  });

  it('reuses services when the file has warnings, and reports them like a fresh load', () => {
    const loader = new ConfigLoader();
    const unfloated = (weight: number): string => `${file([1, 1])}  - { name: extra, vip: 198.18.1.1, port: 80, real_servers: [{ address: 198.19.0.1, weight: ${weight} }] }\n`;
    loader.parse(unfloated(1), 't.yaml');
    const reloaded = loader.parse(unfloated(2), 't.yaml');
    expect(loader.lastStats).toEqual({ validated: 1, reused: 2 });
    expect(reloaded).toEqual(parseConfigText(unfloated(2), 't.yaml'));
    expect(reloaded.warnings.map(formatIssue)).toEqual(['t.yaml:16:25: services[2].vip: 198.18.1.1 is not floated by any VRRP instance, it must already be configured on this host']);
  });
});
