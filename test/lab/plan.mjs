// The lab's addressing and services, shared by the topology, the config generator, the demo and
// the E2E tests. Every address is in 198.18.0.0/15 (RFC 2544 benchmarking).
//
//   bridge "outer" 198.18.0.0/24: client .10, lb1 .2, lb2 .3, rs1-3 .11-.13
//       VIPs .100 (DR), .101 (TUN), .102 (NAT) float between lb1 and lb2 (VRRP instance "outer")
//   bridge "inner" 198.18.2.0/24: lb1 .2, lb2 .3, rs1-3 .11-.13
//       gateway VIP .1 floats with the outer VIPs (instance "inner", same sync group)
//
// Each real server serves all three modes: the DR VIP on lo, the TUN VIP on tunl0, and NAT on its
// inner address, whose replies policy routing sends through the gateway VIP.

export const PREFIX = 24;

export const CLIENT = { name: 'client', outer: '198.18.0.10' };

export const LOAD_BALANCERS = [
  { name: 'lb1', outer: '198.18.0.2', inner: '198.18.2.2', priority: 150, metrics: '127.0.0.1:9811' },
  { name: 'lb2', outer: '198.18.0.3', inner: '198.18.2.3', priority: 100, metrics: '127.0.0.1:9812' },
];

export const REAL_SERVERS = [
  { name: 'rs1', outer: '198.18.0.11', inner: '198.18.2.11' },
  { name: 'rs2', outer: '198.18.0.12', inner: '198.18.2.12' },
  { name: 'rs3', outer: '198.18.0.13', inner: '198.18.2.13' },
];

export const GATEWAY_VIP = '198.18.2.1';

/** Routing table for replies sourced from a real server's inner (NAT) address. */
export const NAT_REPLY_TABLE = '100';

/**
 * keepalived's default interval. Shorter ones flap in the lab VM: node under QEMU's emulation, on
 * a shared 2-core host, stalls for longer than 3 x 200 ms often enough (measured: a dozen
 * spurious takeovers in two minutes at 200 ms), and each flap resets connections.
 */
export const VRRP = { outer: { instance: 'outer', vrid: 51 }, inner: { instance: 'inner', vrid: 52 }, syncGroup: 'lab', advertIntervalMs: 1_000 };

/** Different weights per service, so the hit tables show the scheduler following them. */
export const SERVICES = [
  { name: 'web-dr', mode: 'dr', vip: '198.18.0.100', port: 80, rsPort: 80, weights: { rs1: 3, rs2: 2, rs3: 1 } },
  { name: 'web-tun', mode: 'tun', vip: '198.18.0.101', port: 80, rsPort: 80, weights: { rs1: 1, rs2: 2, rs3: 3 } },
  { name: 'web-nat', mode: 'nat', vip: '198.18.0.102', port: 80, rsPort: 8080, weights: { rs1: 2, rs2: 1, rs3: 1 } },
];

/** Ports each real server's listener serves. */
export const LISTENER_PORTS = [...new Set(SERVICES.map((s) => s.rsPort))];

/** The address a load balancer reaches a real server at for `service` (NAT: the inner leg). */
export const realServerAddress = (rs, service) => (service.mode === 'nat' ? rs.inner : rs.outer);

export const IPVS_SYNC_ID = 7;
