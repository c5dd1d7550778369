// The config → kernel mapping (src/ipvs/desired.ts): the one place where config units and
// defaults become IPVS's (seconds, prefix lengths, tunnel defaults).
import { describe, expect, it } from 'vitest';
import { configuredIpvs, destinationFromConfig, serviceFromConfig, serviceIdFromConfig, sorryDestination } from '../../../src/ipvs/desired.js';
import { servicesConfig } from '../../support/ipvs-harness.js';

describe('config to IPVS objects', () => {
  it('a vip service is named by protocol, address and port; a fwmark service by mark and family', () => {
    const { services } = servicesConfig(`
  - { name: web, vip: 2001:2::100, port: 443, protocol: udp, real_servers: [{ address: 2001:2::1:11 }] }
  - { name: marked, fwmark: 7, family: ipv6, real_servers: [{ address: 2001:2::1:12 }] }
`);
    expect(services.map(serviceIdFromConfig)).toEqual([
      { protocol: 'udp', address: '2001:2::100', port: 443 },
      { fwmark: 7, family: 6 },
    ]);
  });

  it('persistence in whole seconds rounded up, the netmask as a prefix, a host prefix by default, flags copied', () => {
    const [a, b, c] = servicesConfig(`
  - { name: a, vip: 198.18.0.100, port: 80, scheduler: sh, scheduler_flags: [sh-port], persistence: 1500ms, persistence_netmask: 255.255.255.0, real_servers: [] }
  - { name: b, vip: 2001:2::100, port: 80, one_packet: true, protocol: udp, real_servers: [] }
  - { name: c, vip: 198.18.0.101, port: 80, real_servers: [] }
`).services;
    if (!a || !b || !c) throw new Error('three services');
    const sa = serviceFromConfig(a);
    expect(sa).toEqual({ protocol: 'tcp', address: '198.18.0.100', port: 80, scheduler: 'sh', schedulerFlags: ['sh-port'], onePacket: false, persistence: 2, persistencePrefix: 24 });
    // A copy: editing the kernel object does not edit the config.
    sa.schedulerFlags.push('sh-fallback');
    expect(a.scheduler_flags).toEqual(['sh-port']);
    expect(serviceFromConfig(b)).toMatchObject({ onePacket: true, persistence: 0, persistencePrefix: 128 });
    expect(serviceFromConfig(c)).toMatchObject({ persistence: 0, persistencePrefix: 32 });
  });

  it('a real server at the weight the caller decided, with thresholds and tunnel defaults; the sorry server at weight 1', () => {
    const [svc] = servicesConfig(`
  - name: web
    vip: 198.18.0.100
    port: 80
    sorry_server: { address: 198.18.1.99, forwarding: nat }
    real_servers:
      - { address: 198.18.1.11, weight: 100, upper_threshold: 10, lower_threshold: 5 }
      - { address: 198.18.1.12, forwarding: tun }
      - { address: 198.18.1.13, forwarding: tun, tunnel: { type: gue, port: 6080, checksum: csum } }
`).services;
    if (!svc) throw new Error('one service');
    const [r1, r2, r3] = svc.real_servers;
    if (!r1 || !r2 || !r3) throw new Error('three real servers');
    expect(destinationFromConfig(r1, 0)).toEqual({ address: '198.18.1.11', port: 80, forwarding: 'dr', weight: 0, upperThreshold: 10, lowerThreshold: 5 });
    expect(destinationFromConfig(r2, 7)).toMatchObject({ forwarding: 'tun', weight: 7, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'ipip', port: 0, checksum: 'none' } });
    expect(destinationFromConfig(r3, 1).tunnel).toEqual({ type: 'gue', port: 6080, checksum: 'csum' });
    expect(destinationFromConfig(r1, 1)).not.toHaveProperty('tunnel');
    if (!svc.sorry_server) throw new Error('a sorry server');
    expect(sorryDestination(svc.sorry_server)).toEqual({ address: '198.18.1.99', port: 80, forwarding: 'nat', weight: 1, upperThreshold: 0, lowerThreshold: 0 });
    expect(configuredIpvs([svc]).services[0]?.destinations.map((d) => d.weight)).toEqual([100, 1, 1]);
  });
});
