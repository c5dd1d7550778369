// Every reason lvsd discards a received VRRP packet. Each drop is counted under exactly one of
// these, per instance when the packet names a configured VRID, per socket otherwise.

export const DROP_REASONS = [
  /** Shorter than the 8-byte fixed header. */
  'too-short',
  /** Version is neither 2 nor 3, or VRRPv2 arrived over IPv6. */
  'bad-version',
  /** Type is not 1 (ADVERTISEMENT), the only type VRRP defines. */
  'bad-type',
  /** Count IPvX Addrs is 0. */
  'bad-address-count',
  /** Message length disagrees with the address count. */
  'bad-length',
  /** Adver Int / Max Adver Int is 0. */
  'bad-interval',
  /** Checksum matches none of the variants allowed for the version and family. */
  'bad-checksum',
  /**
   * IPv4 TTL or IPv6 hop limit is not 255 (RFC 5798 7.1), whatever the destination: only a
   * neighbour on the link can send 255. A unicast instance may accept less (unicast_min_ttl).
   */
  'bad-ttl',
  /** Multicast instance: the advert was not sent to 224.0.0.18 / ff02::12 (a unicast forgery). */
  'wrong-destination',
  /** No instance on this socket has the VRID. */
  'unknown-vrid',
  /** The advert's version is not the instance's configured version. */
  'version-mismatch',
  /** VRRPv2 Adver Int differs from the configured interval (RFC 3768 7.1). */
  'interval-mismatch',
  /** VRRPv2 Auth Type or password differs from ours (none, or the instance's password; auth.ts). */
  'auth-mismatch',
  /** Our own advert looped back to us (source is our primary address). */
  'own-advert',
  /** Unicast instance: the source is not one of the configured peers. */
  'unknown-peer',
  /** Received while the instance is not running (initialize or fault). */
  'not-running',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

/** A zeroed count per reason. */
export function emptyDropCounts(): Record<DropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
}
