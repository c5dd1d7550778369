// The one place lvsd asks DNS: Node's c-ares resolver (node:dns promises Resolver), not libc's
// getaddrinfo. c-ares asks the configured nameservers itself (or those of /etc/resolv.conf),
// with a per-try timeout and a try count, reports the record TTLs, tells NXDOMAIN, SERVFAIL,
// REFUSED and a timeout apart, moves on to the next nameserver on SERVFAIL and REFUSED, and
// repeats a truncated UDP answer over TCP (RFC 7766) - everything the follower needs, so
// there is no DNS client of lvsd's own. Lookups run on libuv's sockets: nothing here blocks.
import { promises as dns } from 'node:dns';
import type { FamilyAnswer, IpFamily, LookupOutcome } from './types.js';

export interface LookupSettings {
  /** "198.18.0.53", "198.18.0.53:5353", "[2001:2::53]:53"; empty: the system's. */
  nameservers: readonly string[];
  /** Milliseconds per try (c-ares doubles it each round). */
  timeout: number;
  /** Tries after the first. */
  retries: number;
}

/** Asks one name for one family. Never rejects: a failure is an answer with its outcome. */
export interface NameLookup {
  lookup(name: string, family: IpFamily): Promise<FamilyAnswer>;
  /** Ends the lookups in flight (they answer `error`). */
  cancel(): void;
}

/** c-ares error codes (node:dns constants) and what they mean for a name. */
const OUTCOMES: Record<string, LookupOutcome> = {
  [dns.NODATA]: 'nodata',
  [dns.NOTFOUND]: 'nxdomain',
  [dns.SERVFAIL]: 'servfail',
  [dns.REFUSED]: 'refused',
  [dns.TIMEOUT]: 'timeout',
};

export function caresLookup(settings: LookupSettings): NameLookup {
  const resolver = new dns.Resolver({ timeout: settings.timeout, tries: settings.retries + 1 });
  if (settings.nameservers.length > 0) resolver.setServers([...settings.nameservers]);
  return {
    async lookup(name, family) {
      try {
        const records = family === 4 ? await resolver.resolve4(name, { ttl: true }) : await resolver.resolve6(name, { ttl: true });
        return { family, outcome: records.length > 0 ? 'ok' : 'nodata', records };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        return { family, outcome: OUTCOMES[code] ?? 'error', records: [], detail: code };
      }
    },
    cancel: () => resolver.cancel(),
  };
}
