// BGP configs for the unit tests: two services (an IPv4 and an IPv6 VIP) and a bgp section, built
// as objects and serialized so the YAML is always well formed.
import type { Obj } from '../config/builders.js';

export const peer = (over: Obj = {}): Obj => ({ name: 'r1', address: '198.18.0.254', as: 65000, ...over });

/** Services as BGP mode wants them: Maglev hashing on address and port, failed servers drained in place. */
export const bgpService = (over: Obj = {}): Obj => ({ name: 'web', vip: '198.18.0.100', port: 80, scheduler: 'mh', scheduler_flags: ['mh-port'], on_failure: 'drain', ...over });

export const withBgp = (bgp: Obj, services: Obj[] = [bgpService(), bgpService({ name: 'web6', vip: '2001:2::100' })]): Obj => ({
  node: { name: 'lb1' },
  services,
  bgp: { local_as: 65001, router_id: '198.18.0.1', peers: [peer(), peer({ name: 'r1v6', address: '2001:2::fe' })], ...bgp },
});
