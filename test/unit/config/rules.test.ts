// One block per cross-field rule: the failing case names the right path, and the nearest valid
// case passes. Configs are built as objects and serialized, so the YAML is always well formed.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { check, instance, service, withInstances, type Obj } from './builders.js';

/** Services whose VIP is floated, so the "not floated" warning stays out of the way. */
const withServices = (...services: Obj[]): Obj => ({
  node: { name: 'lb1' },
  vrrp: { instances: [instance({ vips: ['198.18.0.100/24', '198.18.0.101/24'] }), instance({ name: 'web6', vips: ['2001:2::100/64'] })] },
  services,
});

const expectErrors = (config: Obj, ...messages: string[]) => expect(check(config).errors).toEqual(messages);
const expectClean = (config: Obj) => expect(check(config)).toEqual({ errors: [], warnings: [] });

describe('vrrp rules', () => {
  it('instance names are unique', () => {
    expectErrors(withInstances(instance(), instance({ interface: 'eth1', vips: ['198.18.0.101'] })),
      'vrrp.instances[1].name: instance name "web" is already used by vrrp.instances[0], expected unique names');
  });

  it('all VIPs of an instance share a family', () => {
    expect(check(withInstances(instance({ vips: ['198.18.0.100', '2001:2::1'] }))).errors[0]).toMatch(/^vrrp\.instances\[0\]\.vips\[1\]: 2001:2::1 is ipv6 but the first VIP is ipv4/);
  });

  it('IPv6 needs VRRPv3', () => {
    expectErrors(withInstances(instance({ version: 2, vips: ['2001:2::100/64'] })),
      'vrrp.instances[0].version: VRRPv2 carries IPv4 addresses only, expected version: 3 for IPv6 VIPs');
    expectClean(withInstances(instance({ version: 3, vips: ['2001:2::100/64'] })));
  });

  it('vrid is unique per interface and family, not globally', () => {
    expect(check(withInstances(instance(), instance({ name: 'b', vips: ['198.18.0.101'] }))).errors).toEqual([
      'vrrp.instances[1].vrid: vrid 51 is already used for ipv4 on eth0 by vrrp.instances[0], expected a vrid unique per interface and address family',
    ]);
    expectClean(withInstances(instance(), instance({ name: 'b', interface: 'eth1', vips: ['198.18.0.101'] })));
    expectClean(withInstances(instance(), instance({ name: 'b', vips: ['2001:2::100/64'] })));
    // v2 and v3 over IPv4 share one space.
    expect(check(withInstances(instance({ version: 2, advert_interval: '1s' }), instance({ name: 'b', vips: ['198.18.0.101'] }))).errors).toHaveLength(1);
  });

  it('advert_interval fits the version', () => {
    expectErrors(withInstances(instance({ version: 2, advert_interval: '1500ms' })),
      'vrrp.instances[0].advert_interval: 1s500ms cannot be sent in VRRPv2, expected whole seconds 1s-255s (or version: 3 for sub-second intervals)');
    expect(check(withInstances(instance({ version: 2, advert_interval: '256s' }))).errors).toHaveLength(1);
    expectClean(withInstances(instance({ version: 2, advert_interval: '3s' })));
    expectErrors(withInstances(instance({ advert_interval: '5ms' })),
      'vrrp.instances[0].advert_interval: 5ms cannot be sent in VRRPv3, expected a multiple of 10ms from 10ms to 40.95s');
    expect(check(withInstances(instance({ advert_interval: '41s' }))).errors).toHaveLength(1);
    expect(check(withInstances(instance({ advert_interval: '105ms' }))).errors).toHaveLength(1);
    expectClean(withInstances(instance({ advert_interval: '40950ms' })));
    expectClean(withInstances(instance({ advert_interval: '10ms' })));
  });

  it('unicast peers and source match the VIP family', () => {
    expectErrors(withInstances(instance({ unicast_source: '2001:2::2', unicast_peers: ['198.18.0.3'] })),
      'vrrp.instances[0].unicast_source: 2001:2::2 is ipv6, expected ipv4 like the VIPs of this instance');
    expectErrors(withInstances(instance({ unicast_peers: ['198.18.0.3', '198.18.0.3'] })),
      'vrrp.instances[0].unicast_peers[1]: peer 198.18.0.3 is listed twice, expected each peer once');
    expectErrors(withInstances(instance({ unicast_source: '198.18.0.3', unicast_peers: ['198.18.0.3'] })),
      'vrrp.instances[0].unicast_source: 198.18.0.3 is also listed in unicast_peers, expected the peers to be the other nodes');
    expectClean(withInstances(instance({ unicast_source: '198.18.0.2', unicast_peers: ['198.18.0.3'] })));
  });

  it('warns about a unicast source without peers, and a non-link-local IPv6 source', () => {
    expect(check(withInstances(instance({ unicast_source: '198.18.0.2' }))).warnings).toEqual([
      'vrrp.instances[0].unicast_source: unicast_source has no effect without unicast_peers, adverts go to the multicast group',
    ]);
    expect(check(withInstances(instance({ vips: ['2001:2::100/64'], unicast_source: '2001:2::2', unicast_peers: ['fe80::3'] }))).warnings).toEqual([
      'vrrp.instances[0].unicast_source: 2001:2::2 is not link-local; RFC 5798 sends IPv6 adverts from a link-local address, peers may drop these',
    ]);
    expectClean(withInstances(instance({ vips: ['2001:2::100/64'], unicast_source: 'fe80::2', unicast_peers: ['fe80::3'] })));
  });

  it('the checksum choice only exists for VRRPv3 over IPv4', () => {
    expectErrors(withInstances(instance({ version: 2, advert_interval: '1s', checksum: 'rfc5798' })),
      'vrrp.instances[0].checksum: checksum: rfc5798 only applies to VRRPv3 over IPv4, expected it removed (or auto)');
    expect(check(withInstances(instance({ vips: ['2001:2::1'], checksum: 'rfc9568' }))).errors).toHaveLength(1);
    expectClean(withInstances(instance({ checksum: 'rfc9568' })));
    expectClean(withInstances(instance({ version: 2, advert_interval: '1s', checksum: 'auto' })));
  });

  it('a VIP floats in one instance only', () => {
    expectErrors(withInstances(instance(), instance({ name: 'b', vrid: 52 })),
      'vrrp.instances[1].vips[0]: 198.18.0.100 is already floated by vrrp.instances[0].vips[0], expected each VIP in one instance');
  });

  it('labels are IPv4-only and start with the device name', () => {
    expectErrors(withInstances(instance({ vips: [{ address: '2001:2::1', label: 'eth0:v' }] })),
      'vrrp.instances[0].vips[0].label: IPv6 addresses have no labels, expected no label');
    expect(check(withInstances(instance({ vips: [{ address: '198.18.0.1', dev: 'eth1', label: 'eth0:v' }] }))).errors[0]).toContain('does not start with the device name eth1');
    expect(check(withInstances(instance({ vips: [{ address: '198.18.0.1', label: 'eth0:abcdefghijkl' }] }))).errors).toHaveLength(1);
    expectClean(withInstances(instance({ vips: [{ address: '198.18.0.1', label: 'eth0:vip' }] })));
  });

  it('a VIP prefix must fit its family', () => {
    expectErrors(withInstances(instance({ vips: [{ address: '198.18.0.1', prefix: 64 }] })),
      'vrrp.instances[0].vips[0].prefix: 64 is not valid, expected a prefix length 0-32 for 198.18.0.1');
  });

  it('warns that preempt_delay needs preempt', () => {
    expect(check(withInstances(instance({ preempt: false, preempt_delay: '30s' }))).warnings).toEqual([
      'vrrp.instances[0].preempt_delay: preempt_delay has no effect with preempt: false',
    ]);
  });

  it('track scripts have unique names and a timeout below the interval', () => {
    const script = { name: 'up', command: ['/bin/true'] };
    expectErrors(withInstances(instance({ track: { scripts: [script, script] } })),
      'vrrp.instances[0].track.scripts[1].name: script name "up" is already used by vrrp.instances[0].track.scripts[0], expected unique names');
    expectClean(withInstances(instance({ track: { scripts: [script], interfaces: [{ name: 'eth1', weight: -20 }], files: [{ path: '/run/lvsd/prio' }] } })));
  });

  it('warns that tracking cannot lower the address owner', () => {
    expect(check(withInstances(instance({ priority: 255, track: { interfaces: [{ name: 'eth1', weight: -10 }] } }))).warnings).toEqual([
      'vrrp.instances[0].track: priority 255 (address owner) is never lowered, tracking only decides FAULT; expected a priority below 255 for weights to matter',
    ]);
  });

  it('sync groups name existing instances, each in one group', () => {
    const two = [instance(), instance({ name: 'db', vrid: 52, vips: ['198.18.0.101'] })];
    const groups = (...sync_groups: Obj[]): Obj => ({ node: { name: 'lb1' }, vrrp: { instances: two, sync_groups } });
    expectClean(groups({ name: 'g', instances: ['web', 'db'] }));
    expectErrors(groups({ name: 'g', instances: ['web', 'web'] }), 'vrrp.sync_groups[0].instances[1]: instance "web" is listed twice, expected each member once');
    expect(check(groups({ name: 'g', instances: ['web', 'db'] }, { name: 'g', instances: ['x'] })).errors).toEqual([
      'vrrp.sync_groups[1].name: sync group name "g" is already used by vrrp.sync_groups[0], expected unique names',
      'vrrp.sync_groups[1].instances[0]: no instance is named "x", expected one of web, db',
    ]);
    expect(check(groups({ name: 'g', instances: ['web'] })).warnings).toEqual(['vrrp.sync_groups[0].instances: a sync group with one instance has no effect']);
  });
});

describe('service rules', () => {
  it('an agent check needs a health check beside it, and a timeout shorter than its interval', () => {
    const agent = { port: 9999 };
    const servers = [{ address: '198.18.1.10', weight: 10 }, { address: '198.18.1.11', weight: 10 }];
    expectErrors(withServices(service({ agent, real_servers: servers })),
      'services[0].agent: real server 198.18.1.10 has an agent check but no health check; an unreachable agent changes nothing, so expected a check (on the service or the real server) beside the agent');
    expectErrors(withServices(service({ real_servers: [{ address: '198.18.1.10', agent }] })),
      'services[0].real_servers[0].agent: 198.18.1.10 has an agent check but no health check; an unreachable agent changes nothing, so expected a check (on the service or the real server) beside the agent');
    expectClean(withServices(service({ agent, check: { type: 'tcp' }, real_servers: servers })));
    expectClean(withServices(service({ real_servers: [{ address: '198.18.1.10', agent, check: { type: 'tcp' } }] })));
    expectErrors(withServices(service({ agent: { port: 9999, interval: '1s', timeout: '1s' }, check: { type: 'tcp' }, real_servers: servers })),
      'services[0].agent.timeout: timeout 1s is not shorter than interval 1s, expected timeout < interval');
  });

  it('names and virtual services are unique', () => {
    expectErrors(withServices(service(), service()),
      'services[1]: tcp 198.18.0.100:80 is already defined by services[0], expected each virtual service once',
      'services[1].name: service name "web" is already used by services[0], expected unique names');
    expectClean(withServices(service(), service({ name: 'web-udp', protocol: 'udp' })));
    expectErrors(withServices(service({ name: 'a', vip: undefined, port: undefined, fwmark: 1, family: 'ipv4' }), service({ name: 'b', vip: undefined, port: undefined, fwmark: 1, family: 'ipv4' })),
      'services[1]: fwmark 1 ipv4 is already defined by services[0], expected each virtual service once');
  });

  it('a service is vip/port or fwmark/family, consistently', () => {
    expectErrors(withServices(service({ family: 'ipv6' })), 'services[0].family: family ipv6 contradicts vip 198.18.0.100, which is ipv4');
    expectErrors(withServices({ name: 'm', fwmark: 1, family: 'ipv4', port: 80 }), 'services[0].port: port cannot be used with fwmark, the firewall mark selects the traffic');
    expectErrors(withServices({ name: 'm', fwmark: 1, family: 'ipv4', protocol: 'udp' }), 'services[0].protocol: protocol cannot be used with fwmark, the firewall mark selects the traffic');
    expectErrors(withServices({ name: 'm' }), 'services[0]: a service needs either vip + port (+ protocol) or fwmark + family, found neither');
  });

  it('port 0 needs persistence', () => {
    expect(check(withServices(service({ port: 0 }))).errors).toHaveLength(1);
    expectClean(withServices(service({ port: 0, persistence: '10m' })));
  });

  it('persistence_netmask needs persistence', () => {
    expect(check(withServices(service({ persistence_netmask: 24 }))).errors).toHaveLength(1);
    expectClean(withServices(service({ persistence: '1m', persistence_netmask: 24 })));
  });

  it('scheduler flags match the scheduler and are listed once', () => {
    expectErrors(withServices(service({ scheduler: 'mh', scheduler_flags: ['sh-port'] })),
      'services[0].scheduler_flags[0]: sh-port only applies to the sh scheduler, this service uses mh');
    expectErrors(withServices(service({ scheduler: 'mh', scheduler_flags: ['mh-port', 'mh-port'] })),
      'services[0].scheduler_flags[1]: mh-port is listed twice, expected each flag once');
    expectClean(withServices(service({ scheduler: 'mh', scheduler_flags: ['mh-port', 'mh-fallback'] })));
  });

  it('one_packet only for UDP', () => {
    expectClean(withServices(service({ protocol: 'udp', port: 53, one_packet: true })));
    expect(check(withServices(service({ protocol: 'sctp', one_packet: true }))).errors).toHaveLength(1);
  });

  it('quorum and hysteresis make sense together', () => {
    const rs = [{ address: '198.18.1.11', weight: 2 }, { address: '198.18.1.12', weight: 2 }];
    expectClean(withServices(service({ quorum: 3, quorum_hysteresis: 1, real_servers: rs })));
    expectErrors(withServices(service({ quorum: 3, quorum_hysteresis: 3, real_servers: rs })),
      'services[0].quorum_hysteresis: 3 is not below quorum 3, expected a hysteresis smaller than the quorum');
    expect(check(withServices(service({ quorum: 5, real_servers: rs }))).warnings).toEqual([
      'services[0].quorum: quorum 5 is more than the total weight 4 of the real servers, the service can never be up',
    ]);
    expect(check(withServices(service({ quorum_hysteresis: 2 }))).warnings).toEqual(['services[0].quorum_hysteresis: quorum_hysteresis has no effect without quorum']);
  });

  it('DR and TUN keep the port, NAT may change it', () => {
    expectClean(withServices(service({ real_servers: [{ address: '198.18.1.11', port: 80 }, { address: '198.18.1.12' }] })));
    expectClean(withServices(service({ forwarding: 'nat', real_servers: [{ address: '198.18.1.11', port: 8080 }] })));
    expectClean(withServices(service({ real_servers: [{ address: '198.18.1.11', port: 8080, forwarding: 'nat' }] })));
    expect(check(withServices(service({ forwarding: 'tun', real_servers: [{ address: '198.18.1.11', port: 8080 }] }))).errors[0]).toContain('forwarding tun cannot change the port');
    expectErrors(withServices({ name: 'm', fwmark: 3, family: 'ipv4', real_servers: [{ address: '198.18.1.11', port: 80 }] }),
      'services[0].real_servers[0].port: with forwarding dr packets keep their destination port, expected no port on a fwmark service');
  });

  it('real servers are unique by address and resolved port', () => {
    expect(check(withServices(service({ forwarding: 'nat', real_servers: [{ address: '198.18.1.11', port: 80 }, { address: '198.18.1.11' }] }))).errors).toHaveLength(1);
    expectClean(withServices(service({ forwarding: 'nat', real_servers: [{ address: '198.18.1.11', port: 80 }, { address: '198.18.1.11', port: 81 }] })));
  });

  it('only tunnels cross address families, and a real server is not the VIP', () => {
    expectClean(withServices(service({ forwarding: 'tun', real_servers: [{ address: '2001:2::11' }] })));
    expect(check(withServices(service({ forwarding: 'nat', real_servers: [{ address: '2001:2::11' }] }))).errors).toHaveLength(1);
    expectErrors(withServices(service({ real_servers: [{ address: '198.18.0.100' }] })),
      'services[0].real_servers[0].address: a real server cannot be the VIP itself, expected the address of a backend');
  });

  it('thresholds are ordered (upper 0 means no limit)', () => {
    expectClean(withServices(service({ real_servers: [{ address: '198.18.1.11', upper_threshold: 0, lower_threshold: 50 }] })));
    expectClean(withServices(service({ real_servers: [{ address: '198.18.1.11', upper_threshold: 100, lower_threshold: 50 }] })));
  });

  it('tunnel options fit the tunnel type and need forwarding tun', () => {
    const tun = (tunnel: Obj) => withServices(service({ forwarding: 'tun', real_servers: [{ address: '198.18.1.11', tunnel }] }));
    expectClean(tun({ type: 'ipip' }));
    expectClean(tun({ type: 'gue', port: 6080, checksum: 'remcsum' }));
    expectClean(tun({ type: 'gre', checksum: 'csum' }));
    expectErrors(tun({ type: 'gue' }), 'services[0].real_servers[0].tunnel: key "port" is missing, expected the GUE destination port');
    expectErrors(tun({ type: 'gre', port: 1 }), 'services[0].real_servers[0].tunnel.port: port only applies to gue tunnels, this one is gre');
    expectErrors(tun({ type: 'ipip', checksum: 'csum' }), 'services[0].real_servers[0].tunnel.checksum: ipip tunnels have no checksum option, expected gue or gre for checksum');
    expectErrors(tun({ type: 'gre', checksum: 'remcsum' }), 'services[0].real_servers[0].tunnel.checksum: remcsum only exists for gue, expected none or csum for gre');
  });

  it('sorry server matches family and keeps the port under DR', () => {
    expectClean(withServices(service({ sorry_server: { address: '198.18.1.99' } })));
    expectClean(withServices(service({ sorry_server: { address: '198.18.1.99', port: 8080, forwarding: 'nat' } })));
    expectErrors(withServices(service({ sorry_server: { address: '198.18.1.99', port: 8080 } })),
      'services[0].sorry_server.port: 8080 differs from the service port 80, but forwarding dr cannot change the port; expected 80 (or omit it)');
  });

  it('checks time out before the next one starts, and send from the right family', () => {
    const rs = [{ address: '198.18.1.11' }];
    expectClean(withServices(service({ check: { type: 'tcp', interval: '2s', timeout: '1500ms', source: '198.18.0.2' }, real_servers: rs })));
    expectErrors(withServices(service({ check: { type: 'tcp', source: '2001:2::2' }, real_servers: rs })),
      'services[0].check.source: 2001:2::2 is ipv6 but the checked servers include ipv4 addresses, expected the same family');
    expectErrors(withServices(service({ real_servers: [{ address: '198.18.1.11', check: { type: 'exec', command: ['/bin/true'], interval: '1s', timeout: '2s' } }] })),
      'services[0].real_servers[0].check.timeout: timeout 2s is not shorter than interval 1s, expected timeout < interval');
  });

  it('checks of fwmark and all-port services name the port to check', () => {
    const rs = [{ address: '198.18.1.11' }, { address: '198.18.1.12' }];
    const fwmark = (over: Obj) => withServices({ name: 'm', fwmark: 4, family: 'ipv4', real_servers: rs, ...over });
    expectErrors(fwmark({ check: { type: 'tcp' } }), 'services[0].check: real servers have no port to check (the service matches a firewall mark), expected check port: N');
    expectClean(fwmark({ check: { type: 'tcp', port: 443 } }));
    expectClean(fwmark({ check: { type: 'exec', command: ['/usr/local/bin/probe'] } }));
    expectErrors(withServices(service({ port: 0, persistence: '1m', real_servers: [{ address: '198.18.1.11', check: { type: 'http' } }] })),
      'services[0].real_servers[0].check: 198.18.1.11 has no port to check (the service matches all ports), expected check port: N');
  });

  it('warns when a VIP is not floated by any instance', () => {
    expect(check({ node: { name: 'lb1' }, services: [service()] })).toEqual({
      errors: [],
      warnings: ['services[0].vip: 198.18.0.100 is not floated by any VRRP instance, it must already be configured on this host'],
    });
  });
});

describe('ipvs rules', () => {
  it('the IPVS resync runs at most once a second', () => {
    expectErrors({ node: { name: 'lb1' }, ipvs: { resync_interval: '500ms' } }, 'ipvs.resync_interval: 500ms would read the whole IPVS table back without pause, expected at least 1s');
    expectClean({ node: { name: 'lb1' }, ipvs: { resync_interval: '5m' } });
  });

  it('timeouts are whole seconds and not 0', () => {
    expectErrors({ node: { name: 'lb1' }, ipvs: { timeouts: { tcp: '0s' } } }, 'ipvs.timeouts.tcp: 0s would leave the kernel value unchanged, expected at least 1s (or no key)');
    expectClean({ node: { name: 'lb1' }, ipvs: { timeouts: { tcp: '15m', tcpfin: '2m', udp: '5m' } } });
  });

  it('the sync daemon needs an interface when enabled', () => {
    expectClean({ node: { name: 'lb1' }, ipvs: { sync_daemon: { enabled: true, interface: 'eth1', sync_id: 7 } } });
    expect(check({ node: { name: 'lb1' }, ipvs: { sync_daemon: { enabled: true } } }).errors).toHaveLength(1);
  });

  it('an enabled sync daemon follows VRRP: follow_vrrp: false (which started nothing) is refused', () => {
    expectErrors({ node: { name: 'lb1' }, ipvs: { sync_daemon: { enabled: true, interface: 'eth1', follow_vrrp: false } } },
      'ipvs.sync_daemon.follow_vrrp: follow_vrrp: false would leave the enabled sync daemon without a role (it runs as master while this node is VRRP master and as backup otherwise; there is no fixed role), expected follow_vrrp: true or enabled: false');
    expectClean({ node: { name: 'lb1' }, ipvs: { sync_daemon: { enabled: false, follow_vrrp: false } } });
    const r = parseConfigText('node: { name: lb1 }\nipvs:\n  sync_daemon: { enabled: true, interface: eth1, follow_vrrp: false }\n', 'lvsd.yaml');
    expect(r.ok ? [] : r.errors.map((e) => `${e.file}:${e.line}:${e.col}`)).toEqual(['lvsd.yaml:3:63']);
  });
});
