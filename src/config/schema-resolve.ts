// Real servers by DNS name: the `resolver:` section and the field types a real server uses to
// name a host instead of an address. Kept apart from schema.ts so that file gains one key and
// two fields; what relates the fields (floor above ceiling) is in rules/resolve.ts, the
// resolution itself in src/resolve.
import * as z from 'zod';
import { parseHostPort, parseIp } from '../net/address.js';
import { EXPECTED, duration, intIn, list, mapping, oneOf } from './primitives.js';

const HOUR = 3_600_000;

/**
 * A DNS host name as RFC 1123 2.1 allows it for a host: labels of 1-63 letters, digits and
 * hyphens, not starting or ending with a hyphen, at least two of them (the resolver asks the
 * name as written: no search list makes "app1" mean "app1.example"), 253 characters at most,
 * an optional final dot. Lower-cased: DNS names compare without case.
 */
const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_NAME = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})+\\.?$`);
/** Digits and dots only is a mistyped IPv4 address, never a host name (RFC 1123 2.1: the top label is not all-numeric). */
const LOOKS_NUMERIC = /^[0-9.]+$/;

export function isHostName(text: string): boolean {
  const lower = text.toLowerCase();
  return lower.length <= 254 && HOST_NAME.test(lower) && !LOOKS_NUMERIC.test(lower);
}

/** The name as lvsd keeps it: lower case, without the final dot. */
const canonicalHost = (text: string): string => text.toLowerCase().replace(/\.$/, '');

/** An IPv4 or IPv6 address (canonicalized), or a host name to resolve (lower-cased). */
export function addressOrHostName(description: string) {
  const error = `${EXPECTED}an IPv4 or IPv6 address such as 198.18.0.1, or a DNS name such as app1.example.test`;
  return z
    .string({ error })
    .transform((text, ctx) => {
      const ip = parseIp(text);
      if (ip) return ip.address;
      if (isHostName(text)) return canonicalHost(text);
      ctx.issues.push({ code: 'custom', message: error, input: text });
      return z.NEVER;
    })
    .describe(description);
}

/** A host name whose every address record is a real server. */
export function discoverHostName(description: string) {
  const error = `${EXPECTED}a DNS name such as pool.example.test`;
  return z
    .string({ error })
    .refine(isHostName, { error })
    .transform(canonicalHost)
    .describe(description);
}

const NAMESERVER_ERROR = `${EXPECTED}a nameserver address such as 198.18.0.53, 198.18.0.53:5353 or [2001:2::53]:53`;

/** "198.18.0.53", "198.18.0.53:5353", "2001:2::53" or "[2001:2::53]:5353", canonical. */
const nameserver = z
  .string({ error: NAMESERVER_ERROR })
  .transform((text, ctx) => {
    const ip = parseIp(text);
    if (ip) return ip.address;
    const hp = parseHostPort(text);
    if (hp) return hp.family === 6 ? `[${hp.address}]:${hp.port}` : `${hp.address}:${hp.port}`;
    ctx.issues.push({ code: 'custom', message: NAMESERVER_ERROR, input: text });
    return z.NEVER;
  })
  .describe('nameserver address, optionally with :port');

export const resolverSchema = mapping(
  {
    nameservers: list(nameserver, "nameservers to ask, in order; default the system's (/etc/resolv.conf)", 'a list of nameserver addresses').default([]),
    timeout: duration('how long one try waits for an answer before the next try (the resolver doubles it on each round)', 30_000).prefault('1s'),
    retries: intIn(0, 10, 'a retry count').default(2).describe('tries after the first before a lookup counts as timed out'),
    resolve_prefer: oneOf(['ipv4', 'ipv6'], 'address family taken first when a name has both and the real server may use either (forwarding tun); dr and nat use the service family').default('ipv4'),
    ttl_floor: duration('re-resolve no sooner than this after an answer, whatever its TTL; also the wait before retrying a failed lookup', HOUR).prefault('1s'),
    ttl_ceiling: duration('re-resolve at least this often, whatever the TTL', 24 * HOUR).prefault('5m'),
    hold: duration('a name that stops resolving (NXDOMAIN, SERVFAIL, timeout, no address) keeps its last addresses this long, then they are drained away', 24 * HOUR).prefault('5m'),
  },
  'how real servers given by DNS name are resolved',
);
