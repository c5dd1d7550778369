// What the loader refuses because it cannot work (issue 10 section 3): control characters where
// they would be passed on, durations beyond what a timer or the kernel holds, addresses that
// cannot be VIPs or real servers; and the warnings for listeners exposed beyond this host.
// Each refusal comes with its nearest accepted neighbour. The corpus (test/fixtures/config/
// invalid/60-83) pins the exact file:line:col messages.
import { describe, expect, it } from 'vitest';
import { check, instance, service, withInstances, type Obj } from './builders.js';

const withServices = (...services: Obj[]): Obj => ({ node: { name: 'lb1' }, vrrp: { instances: [instance()] }, services });
const withTop = (over: Obj): Obj => ({ node: { name: 'lb1' }, ...over });

const expectClean = (config: Obj) => expect(check(config)).toEqual({ errors: [], warnings: [] });
const errorsOf = (config: Obj) => check(config).errors;

describe('control characters and lengths', () => {
  it('argv refuses NUL and control characters but keeps tab and newline for sh -c scripts', () => {
    expect(errorsOf(withInstances(instance({ notify: { master: ['/bin/echo', 'a\0b'] } })))).toEqual([
      'vrrp.instances[0].notify.master[1]: "a\\u0000b" is not valid, expected an argument without NUL or control characters (tab and newline are allowed)',
    ]);
    expect(errorsOf(withInstances(instance({ track: { scripts: [{ name: 's', command: ['/bin/true\x7f'] }] } })))).toHaveLength(1);
    expect(errorsOf(withServices(service({ check: { type: 'exec', command: ['/bin/x', 'a\rb'] } })))).toHaveLength(1);
    expectClean(withInstances(instance({ notify: { master: ['/bin/sh', '-c', 'logger one\n\tlogger two'] } })));
  });

  it('paths refuse control characters', () => {
    expect(errorsOf(withTop({ control: { socket: '/run/lvsd/\x1b.sock' } }))).toEqual([
      'control.socket: "/run/lvsd/\\u001b.sock" is not valid, expected an absolute path without control characters',
    ]);
    expect(errorsOf(withTop({ control: { socket: '/run/a\x7fb' } }))[0]).toContain('"/run/a\\u007fb" is not valid');
    expect(errorsOf(withTop({ control: { socket: 'lvsd.sock' } }))).toHaveLength(1);
    expect(errorsOf(withInstances(instance({ track: { files: [{ path: 'weight\n' }] } })))).toHaveLength(1);
    expectClean(withInstances(instance({ track: { files: [{ path: '/run/lvsd/weight file' }] } })));
  });

  it('interface names are at most 15 bytes (IFNAMSIZ - 1), counted in UTF-8, without control characters', () => {
    const tooLong = 'expected a network interface name of 1-15 bytes without \'/\', \':\', spaces or control characters';
    expect(errorsOf(withInstances(instance({ interface: 'éééééééé' })))).toEqual([`vrrp.instances[0].interface: "éééééééé" is not valid, ${tooLong}`]);
    expect(errorsOf(withInstances(instance({ interface: 'eth\x000' })))).toHaveLength(1);
    expect(errorsOf(withInstances(instance({ track: { interfaces: [{ name: 'eth\x7f' }] } })))).toHaveLength(1);
    expect(errorsOf(withInstances(instance({ vips: [{ address: '198.18.0.100', dev: 'a23456789012345x' }] })))).toHaveLength(1);
    expectClean(withInstances(instance({ interface: 'éééééééx' })));
    expectClean(withInstances(instance({ interface: 'a23456789012345' })));
  });

  it('address labels are at most 15 bytes without control characters', () => {
    expect(errorsOf(withInstances(instance({ vips: [{ address: '198.18.0.100', label: 'eth0:vïpvïpvïp' }] })))).toEqual([
      'vrrp.instances[0].vips[0].label: "eth0:vïpvïpvïp" is not valid, expected an address label of 1-15 bytes without control characters, e.g. eth0:vip',
    ]);
    expect(errorsOf(withInstances(instance({ vips: [{ address: '198.18.0.100', label: 'eth0:\tx' }] })))).toHaveLength(1);
    expectClean(withInstances(instance({ vips: [{ address: '198.18.0.100', label: 'eth0:vïpvïp' }] })));
  });

  it('HTTP host, SNI and path cannot break the request line or headers', () => {
    const http = (over: Obj) => withServices(service({ check: { type: 'https', ...over } }));
    expect(errorsOf(http({ host: 'a.example.test\r\nX-Evil: 1' }))).toEqual([
      'services[0].check.host: "a.example.test\\r\\nX-Evil: 1" is not valid, expected a host name such as www.example.test (printable ASCII, no spaces or control characters)',
    ]);
    expect(errorsOf(http({ sni: 'a.example.test b' }))).toHaveLength(1);
    expect(errorsOf(http({ path: '/a b' }))).toHaveLength(1);
    expect(errorsOf(http({ path: '/\0' }))).toHaveLength(1);
    expect(errorsOf(http({ path: '/caf\u00e9' }))).toHaveLength(1);
    expectClean(http({ host: '[2001:2::1]:8443', sni: 'www.example.test', path: '/health?full=1&x=%20' }));
  });
});

describe('duration maxima', () => {
  // Each field at its maximum loads, one step above is refused: no duration reaches the point
  // where setTimeout would clamp it to 1 ms (2^31-1 ms) or the kernel would refuse or wrap it.
  const fields: [string, (value: string) => Obj, string, string][] = [
    ['check interval', (v) => withServices(service({ check: { type: 'tcp', interval: v } })), '1h', '1h1ms'],
    ['check timeout', (v) => withServices(service({ check: { type: 'tcp', timeout: v } })), '', '1h1ms'],
    ['check warmup', (v) => withServices(service({ check: { type: 'tcp', warmup: v } })), '1h', '1h1ms'],
    ['track script interval', (v) => withInstances(instance({ track: { scripts: [{ name: 's', command: ['/bin/true'], interval: v }] } })), '1h', '1h1ms'],
    ['track script timeout', (v) => withInstances(instance({ track: { scripts: [{ name: 's', command: ['/bin/true'], timeout: v }] } })), '', '1h1ms'],
    ['garp delay', (v) => withInstances(instance({ garp: { delay: v } })), '1h', '1h1ms'],
    ['garp refresh', (v) => withInstances(instance({ garp: { refresh: v } })), '24h', '24h1ms'],
    ['preempt_delay', (v) => withInstances(instance({ preempt_delay: v })), '1h', '1h1ms'],
    ['advert_interval', (v) => withInstances(instance({ version: 2, advert_interval: v })), '255s', '720h'],
    ['persistence', (v) => withServices(service({ persistence: v })), '596h31m23s', '596h31m24s'],
    ['drain_timeout', (v) => withServices(service({ drain_timeout: v })), '24h', '24h1ms'],
    ['ipvs tcp timeout', (v) => withTop({ ipvs: { timeouts: { tcp: v } } }), '596h31m23s', '596h31m24s'],
    ['ipvs tcpfin timeout', (v) => withTop({ ipvs: { timeouts: { tcpfin: v } } }), '596h31m23s', '596h31m24s'],
    ['ipvs udp timeout', (v) => withTop({ ipvs: { timeouts: { udp: v } } }), '596h31m23s', '596h31m24s'],
  ];

  it.each(fields)('%s has a maximum', (_name, build, atMax, aboveMax) => {
    const errors = errorsOf(build(aboveMax));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`"${aboveMax}" is too long, expected at most `));
    if (atMax !== '') expectClean(build(atMax));
  });

  it('720h, the case that became a 1 ms timer, names the limit and where it comes from', () => {
    expect(errorsOf(withTop({ ipvs: { timeouts: { udp: '720h' } } }))).toEqual([
      'ipvs.timeouts.udp: "720h" is too long, expected at most 596h31m23s (the kernel refuses more than INT_MAX/HZ seconds)',
    ]);
    expect(errorsOf(withInstances(instance({ garp: { refresh: '720h' } })))).toEqual([
      'vrrp.instances[0].garp.refresh: "720h" is too long, expected at most 24h',
    ]);
  });
});

describe('the VRRP thread\'s real-time priority', () => {
  it('is 0 (off) to 49, below the kernel\'s interrupt threads at 50', () => {
    expect(errorsOf(withTop({ vrrp: { realtime_priority: 50 } }))).toEqual(['vrrp.realtime_priority: 50 is out of range, expected a SCHED_RR priority 0-49']);
    expect(errorsOf(withTop({ vrrp: { realtime_priority: -1 } }))).toHaveLength(1);
    expect(errorsOf(withTop({ vrrp: { realtime_priority: 1.5 } }))).toHaveLength(1);
    expectClean(withTop({ vrrp: { realtime_priority: 0 } }));
    expectClean(withTop({ vrrp: { realtime_priority: 49 } }));
  });
});

describe('addresses that cannot be VIPs or real servers', () => {
  it.each([
    ['0.0.0.0', 'the unspecified address'],
    ['224.0.0.18', 'a multicast address'],
    ['255.255.255.255', 'the broadcast address'],
    ['127.0.0.1', 'a loopback address'],
  ])('an IPv4 VIP %s is refused as %s', (address, kind) => {
    expect(errorsOf(withInstances(instance({ vips: [address] })))).toEqual([`vrrp.instances[0].vips[0]: ${address} is ${kind}, expected a unicast address`]);
  });

  it.each([
    ['::', 'the unspecified address'],
    ['ff05::1', 'a multicast address'],
    ['::1', 'a loopback address'],
  ])('an IPv6 VIP %s is refused as %s', (address, kind) => {
    expect(errorsOf(withInstances(instance({ vips: [address] })))).toEqual([`vrrp.instances[0].vips[0]: ${address} is ${kind}, expected a unicast address`]);
  });

  it('an IPv4-mapped IPv6 VIP names the IPv4 address to write instead', () => {
    expect(errorsOf(withInstances(instance({ vips: ['::ffff:198.18.0.100'] })))).toEqual([
      'vrrp.instances[0].vips[0]: ::ffff:c612:64 is an IPv4-mapped IPv6 address, expected 198.18.0.100 written as IPv4',
    ]);
  });

  it('the broadcast address of the VIP prefix is refused, not on /31 or /32, and the network address is left alone', () => {
    expect(errorsOf(withInstances(instance({ vips: ['198.18.0.255/24'] })))).toEqual([
      'vrrp.instances[0].vips[0]: 198.18.0.255 is the broadcast address of its /24 subnet, expected a host address (or a /31 or /32 prefix)',
    ]);
    expect(errorsOf(withInstances(instance({ vips: [{ address: '198.18.0.3', prefix: 30 }] })))).toHaveLength(1);
    expectClean(withInstances(instance({ vips: ['198.18.0.255/31'] })));
    expectClean(withInstances(instance({ vips: ['198.18.0.255'] })));
    expectClean(withInstances(instance({ vips: ['198.18.0.0/24'] })));
  });

  it('link-local VIPs need allow_link_local on the VIP or the instance; the VIP setting wins', () => {
    expect(errorsOf(withInstances(instance({ vips: ['169.254.0.100/16'] })))).toHaveLength(1);
    expectClean(withInstances(instance({ allow_link_local: true, vips: ['169.254.0.100/16'] })));
    expectClean(withInstances(instance({ vips: [{ address: 'fe80::101', allow_link_local: true }] })));
    expect(errorsOf(withInstances(instance({ allow_link_local: true, vips: ['fe80::100/64', { address: 'fe80::101', allow_link_local: false }] })))).toEqual([
      'vrrp.instances[0].vips[1]: fe80::101 is a link-local address, reachable from one link only; expected a routable address, or allow_link_local: true on the VIP or the instance',
    ]);
  });

  it('service VIPs: judged where they float, and here when they do not', () => {
    expect(check(withServices(service({ vip: '239.1.1.1' })))).toEqual({
      errors: ['services[0].vip: 239.1.1.1 is a multicast address, expected a unicast address'],
      warnings: [],
    });
    expect(errorsOf(withServices(service({ vip: 'fe80::1' })))).toEqual([
      'services[0].vip: fe80::1 is a link-local address, reachable from one link only; expected a routable address, or float it from a VRRP instance with allow_link_local: true',
    ]);
    expectClean({
      node: { name: 'lb1' },
      vrrp: { instances: [instance({ allow_link_local: true, vips: ['fe80::1/64'] })] },
      services: [service({ vip: 'fe80::1' })],
    });
  });

  it('real and sorry servers cannot be 0.0.0.0, ::, multicast or broadcast', () => {
    expect(errorsOf(withServices(service({ real_servers: [{ address: '0.0.0.0' }, { address: '224.0.0.1' }] })))).toEqual([
      'services[0].real_servers[0].address: 0.0.0.0 is the unspecified address, expected the address of a backend',
      'services[0].real_servers[1].address: 224.0.0.1 is a multicast address, expected the address of a backend',
    ]);
    expect(errorsOf(withServices(service({ sorry_server: { address: '255.255.255.255' } })))).toEqual([
      'services[0].sorry_server.address: 255.255.255.255 is the broadcast address, expected the address of a backend',
    ]);
    expectClean(withServices(service({ forwarding: 'nat', real_servers: [{ address: '127.0.0.1', port: 8080 }] })));
  });

  it('a unicast peer cannot be one of our VIPs, in this instance or another', () => {
    expect(errorsOf(withInstances(instance({ unicast_peers: ['198.18.0.100'] })))).toEqual([
      'vrrp.instances[0].unicast_peers[0]: peer 198.18.0.100 is the VIP vrrp.instances[0].vips[0], expected the own address of another node (adverts to a VIP reach whoever holds it)',
    ]);
    expect(errorsOf(withInstances(instance({ unicast_peers: ['198.18.0.3'] }), instance({ name: 'b', vrid: 52, vips: ['198.18.0.3/24'] })))).toHaveLength(1);
    expectClean(withInstances(instance({ unicast_peers: ['198.18.0.3'] })));
  });
});

describe('warnings for listeners beyond this host', () => {
  it('warns about a metrics listener on a non-loopback address', () => {
    expect(check(withTop({ metrics: { listen: '0.0.0.0:9810' } }))).toEqual({
      errors: [],
      warnings: ['metrics.listen: 0.0.0.0:9810 is not a loopback address, /metrics is served without authentication to anyone who can reach it; expected 127.0.0.1 or ::1 unless a firewall guards the port'],
    });
    expect(check(withTop({ metrics: { listen: '[2001:2::1]:9810' } })).warnings).toHaveLength(1);
    expectClean(withTop({ metrics: { listen: '127.0.0.2:9810' } }));
    expectClean(withTop({ metrics: { listen: '[::1]:9810' } }));
    expectClean(withTop({}));
  });

  it('warns about a control socket outside /run', () => {
    expect(check(withTop({ control: { socket: '/tmp/lvsd.sock' } }))).toEqual({
      errors: [],
      warnings: ['control.socket: /tmp/lvsd.sock is outside /run, where another user may create or replace it first; expected a path under /run such as /run/lvsd/lvsd.sock'],
    });
    expect(check(withTop({ control: { socket: '/run/../tmp/lvsd.sock' } })).warnings).toHaveLength(1);
    expect(check(withTop({ control: { socket: '/runaway/lvsd.sock' } })).warnings).toHaveLength(1);
    expectClean(withTop({ control: { socket: '/run/lvsd.sock' } }));
  });
});
