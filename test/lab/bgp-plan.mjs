// The BGP lab's addressing and timers (bgp-topology.mjs builds it; `npm run demo -- bgp`, the
// kernel test test/kernel/bgp-lab.test.ts and the bench test/bench/bgp-lab.mjs use it). Every
// address is in 198.18.0.0/15 (RFC 2544 benchmarking), none shared with the VRRP lab's plan.mjs.
//
//   bridge "clients"   198.18.4.0/24: client .10, router .1
//   bridge "directors" 198.18.5.0/24: router .1, d1-d4 .2-.5, rs1-rs3 .11-.13
//   VIP 198.18.6.100:80 (DR): on lo of every director and real server; the router reaches it
//   through the directors that announce it (BGP; one resilient ECMP nexthop group), the real
//   servers answer the client straight through the router.
//
// d1-d3 run from the start; d4 is wired but idle, for "a fourth director joins".

export const PREFIX = 24;

export const CLIENT = { name: 'client', address: '198.18.4.10' };

export const ROUTER = { name: 'router', client: '198.18.4.1', director: '198.18.5.1', as: 65000 };

/**
 * The router's resilient ECMP (resilient-ecmp.py): BIRD writes its multipath route into table
 * `birdTable`; the VIP's route in main goes through nexthop group `group` (`buckets` hash
 * buckets) over the directors BIRD has, each director a nexthop of its own (DIRECTORS' `nexthop`).
 */
export const RESILIENT_ECMP = { birdTable: 10, group: 100, buckets: 512 };

/** Every director runs lvsd and BIRD in the same AS, as a site's directors do. */
export const DIRECTOR_AS = 65001;

export const DIRECTORS = [
  { name: 'd1', address: '198.18.5.2', metrics: '127.0.0.1:9821', nexthop: 11 },
  { name: 'd2', address: '198.18.5.3', metrics: '127.0.0.1:9822', nexthop: 12 },
  { name: 'd3', address: '198.18.5.4', metrics: '127.0.0.1:9823', nexthop: 13 },
  { name: 'd4', address: '198.18.5.5', metrics: '127.0.0.1:9824', nexthop: 14 },
];

/** The directors that run from the start; the others join later. */
export const FIRST_DIRECTORS = ['d1', 'd2', 'd3'];

export const REAL_SERVERS = [
  { name: 'rs1', address: '198.18.5.11' },
  { name: 'rs2', address: '198.18.5.12' },
  { name: 'rs3', address: '198.18.5.13' },
];

/** One DR service, Maglev-scheduled on the source address and port, in the shape traffic.mjs takes. */
export const SERVICE = { name: 'web', mode: 'dr', vip: '198.18.6.100', port: 80, rsPort: 80, weights: { rs1: 1, rs2: 1, rs3: 1 } };

/** lvsd's kernel table for the VIP routes BIRD exports. */
export const VIP_TABLE = 100;

/**
 * BFD between the router and each director. BIRD is C, so the emulation slows it far less than
 * node, but the lab VM shares two host cores with everything else: 100 ms x 3 (300 ms detection)
 * held without a spurious session loss in the VM runs, and leaves room under the 500 ms goal for
 * the route change itself.
 */
export const BFD = { intervalMs: 100, multiplier: 3 };

/** With BFD on, the hold timer only matters when BFD is off; the least BGP allows with room. */
export const HOLD_TIME_S = 9;

/** Both ends of a session wait this long after it failed before talking again (BIRD's error wait time, doubling to max). */
export const ERROR_WAIT_S = { min: 1, max: 5 };
