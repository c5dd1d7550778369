// The `bgp:` section: active-active directors that announce their VIPs to the upstream router
// over BGP, through a BIRD 2 running beside lvsd (src/bgp/README.md says how the two are
// coupled). Kept apart from schema.ts so that section stays one import and one key there.
// Shapes and bounds are checked here; what relates fields to each other and to the services
// (reserved AS numbers, address families, unknown VIPs) is in rules/bgp.ts.
import * as z from 'zod';
import { EXPECTED, bool, duration, filePath, intIn, ipAddress, list, mapping, name } from './primitives.js';

/** An AS number as RFC 6793 carries it: 4 octets; 0 is reserved (RFC 7607), rules/bgp.ts refuses the other reserved ones. */
const asNumber = (description: string) => intIn(1, 4294967295, 'an AS number').describe(description);

/**
 * BIRD takes a password in a double-quoted string: quotes, backslashes and control characters
 * would end or escape it, so only the rest of printable ASCII. TCP-MD5 (RFC 2385) keys are at
 * most 80 bytes (TCP_MD5SIG_MAXKEYLEN).
 */
const PASSWORD_ERROR = `${EXPECTED}1-80 printable ASCII characters without " or \\`;

/** A standard community "asn:value" (RFC 1997, 16 bits each) or a large one "asn:value:value" (RFC 8092, 32 bits each). */
const COMMUNITY_ERROR = `${EXPECTED}a community such as 65000:100 (16-bit numbers) or a large community such as 65000:1:2 (32-bit numbers)`;

export function parseCommunity(text: string): number[] | undefined {
  if (!/^\d{1,10}(:\d{1,10}){1,2}$/.test(text)) return undefined;
  const parts = text.split(':').map(Number);
  const max = parts.length === 2 ? 0xffff : 0xffff_ffff;
  return parts.every((p) => p <= max) ? parts : undefined;
}

/** Router-side detection needs a few intervals; below 10 ms the BFD packets alone load a busy director. */
export const BFD_INTERVAL_MIN_MS = 10;
/** RFC 5880 carries intervals in microseconds (32 bits); beyond 10 s BFD detects nothing BGP's hold timer would not. */
export const BFD_INTERVAL_MAX_MS = 10_000;

const bfdSchema = mapping(
  {
    interval: duration('BFD transmit and receive interval (at least 10ms)', BFD_INTERVAL_MAX_MS).prefault('100ms'),
    multiplier: intIn(1, 255, 'a BFD detect multiplier').default(3).describe('packets missed before the session is down (RFC 5880 Detect Mult): detection takes interval x multiplier'),
  },
  'BFD (RFC 5880) timers of the sessions to the peers: a dead director is withdrawn after interval x multiplier',
);

const errorWaitSchema = mapping(
  {
    min: duration('wait after a first failure (whole seconds, at least 1s)', 65_535_000).prefault('60s'),
    max: duration('longest wait, reached by doubling on failures in a row (whole seconds)', 65_535_000).prefault('300s'),
  },
  'after a session fails (BFD or the hold timer took it down, or the router closed it), BIRD neither answers nor calls the peer for this long (BIRD\'s error wait time): it damps a flapping director; a short min brings a director back soon after a blip',
);

const peerSchema = mapping(
  {
    name: name('peer name, unique; the BIRD protocol is named lvsd_peer_<name>'),
    address: ipAddress('the router\'s address'),
    as: asNumber('the router\'s AS number'),
    source_address: ipAddress('our address on the session; default chosen by the kernel').optional(),
    password: z.string({ error: PASSWORD_ERROR }).regex(/^[\x20\x21\x23-\x5b\x5d-\x7e]{1,80}$/, { error: PASSWORD_ERROR }).optional().describe('TCP-MD5 password (RFC 2385), the same on the router'),
    bfd: bool('run BFD with this peer, so a dead director is withdrawn within the BFD detection time').default(true),
  },
  'a BGP neighbour (the upstream router)',
);

export const bgpSchema = mapping(
  {
    local_as: asNumber('our AS number (the same on every director of a site, as a rule)'),
    router_id: ipAddress('BGP identifier, an IPv4 address unique per director'),
    table: intIn(1, 4294967295, 'a kernel routing table number').default(100).describe('kernel routing table lvsd puts one route per announced VIP in; BIRD exports it (not 253-255, which the kernel uses)'),
    bird_socket: filePath('BIRD control socket lvsd reads session states from (birdc -s)', { absolute: true }).default('/run/bird/bird.ctl'),
    hold_time: duration('BGP hold time (RFC 4271, whole seconds, at least 3s); BFD detects a dead peer long before it', 65_535_000).prefault('30s'),
    bfd: bfdSchema.prefault({}),
    error_wait: errorWaitSchema.prefault({}),
    peers: list(peerSchema, 'the routers this director announces to', 'a list of peers').min(1, { error: `${EXPECTED}at least one peer` }),
    vips: list(ipAddress('a service VIP'), 'VIPs to announce; default every service VIP').optional(),
    med: intIn(0, 4294967295, 'a MED').optional().describe('MULTI_EXIT_DISC sent with the routes: lower is preferred, so a standby site sends a higher one'),
    flow_takeover: bool('set net.ipv4.vs.sloppy_tcp and sloppy_sctp (and check nf_conntrack_tcp_loose), so a director forwards packets of connections another director started, after ECMP moved them').default(true),
    communities: list(
      z.string({ error: COMMUNITY_ERROR }).refine((c) => parseCommunity(c) !== undefined, { error: COMMUNITY_ERROR }),
      'communities added to the routes (e.g. one the router maps to a lower local preference at a standby site)',
    ).default([]),
  },
  'BGP: announce the VIPs to the upstream router through BIRD, for several active directors behind ECMP',
);
