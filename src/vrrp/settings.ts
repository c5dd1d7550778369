// What one VRRP instance needs to run, in lvsd's own units (milliseconds, canonical addresses).
// Mirrors the `vrrp.instances[]` config vocabulary; the mapping from the loaded config lives with
// the daemon, which also resolves runtime facts such as the interface's primary address.
import { familyOf, isIpv6LinkLocal, type IpFamily } from '../net/address.js';
import { MAX_PASSWORD_LENGTH } from './auth.js';
import type { VmacSettings } from './vmac.js';

/** A virtual address the master holds. */
export interface VipSpec {
  address: string;
  prefix: number;
  /** Interface to add it to; the instance's interface when absent. */
  dev?: string;
  label?: string;
}

/**
 * VRRPv3 over IPv4 checksum to send (see checksum.ts). `auto` sends what the peers send and the
 * RFC 5798 form until one is heard, so lvsd agrees with a default keepalived or FRR. Measured in
 * the lab: keepalived 2.2.7 rejects the RFC 9568 form ("Invalid VRRPv3 checksum") and goes
 * master too, so `rfc9568` is for peers known to implement RFC 9568.
 */
export type ChecksumMode = 'auto' | 'rfc5798' | 'rfc9568';

export interface InstanceSettings {
  name: string;
  interface: string;
  family: IpFamily;
  /** Virtual Router ID, 1-255. */
  vrid: number;
  /** Configured priority: 1-254, or 255 when this node owns the addresses. */
  priority: number;
  version: 2 | 3;
  /** Advertisement_Interval: whole seconds for v2, multiples of 10 ms up to 40.95 s for v3. */
  advertIntervalMs: number;
  /** Preempt_Mode (RFC 5798 6.1): a higher-priority backup takes over from a lower master. */
  preempt: boolean;
  /** Wait this long after first seeing a lower-priority master before preempting it. */
  preemptDelayMs: number;
  /**
   * Accept_Mode (RFC 5798 6.1): a non-owner master accepts packets addressed to the VIPs. A load
   * balancer must (IPVS serves traffic sent to the VIP), hence the default true; false is passed
   * to the VIP layer, which may refuse it.
   */
  accept: boolean;
  checksum: ChecksumMode;
  /** VRRPv2 simple-text password (auth.ts), 1-8 characters; absent = no authentication. */
  authPassword?: string;
  /**
   * Source of our adverts and our side of the equal-priority tie-break: the interface's primary
   * IPv4 address (or unicast_source), or its IPv6 link-local address.
   */
  primaryAddress: string;
  /** Unicast peers; empty means multicast to 224.0.0.18 / ff02::12. */
  unicastPeers: readonly string[];
  /**
   * Lowest IPv4 TTL / IPv6 hop limit accepted from a unicast peer. 255 (the default) admits
   * only neighbours on the link, as RFC 5798 7.1 requires; lower it only for peers behind
   * routers. Multicast adverts always need 255.
   */
  unicastMinTtl: number;
  vips: readonly VipSpec[];
  garp: GarpSettings;
  /** use_vmac: the VIPs (those without a dev of their own) and the adverts go through this macvlan. */
  vmac?: VmacSettings;
}

/**
 * Gratuitous ARP / unsolicited NA on becoming master (keepalived's garp_master_*): `repeat`
 * announcements at once and again `delayMs` later (0 = no second burst), then `refreshRepeat`
 * every `refreshMs` while master (0 = never).
 */
export interface GarpSettings {
  repeat: number;
  delayMs: number;
  refreshMs: number;
  refreshRepeat: number;
}

/** keepalived's defaults. */
export const DEFAULT_GARP: GarpSettings = { repeat: 5, delayMs: 5000, refreshMs: 0, refreshRepeat: 1 };

/** What adjusts the priority (tracking.ts). Weights follow keepalived; see trackedPriority. */
export interface TrackSettings {
  interfaces: ReadonlyArray<{ name: string; weight: number }>;
  scripts: ReadonlyArray<TrackScriptSettings>;
  files: ReadonlyArray<{ path: string; weight: number }>;
}

export interface TrackScriptSettings {
  name: string;
  /** argv, run without a shell; exit status 0 is success. */
  command: readonly string[];
  intervalMs: number;
  timeoutMs: number;
  weight: number;
  /** Consecutive successes before a failed script counts as up again. */
  rise: number;
  /** Consecutive failures before an up script counts as down. */
  fall: number;
}

/** argv arrays run on state changes (notify.ts); `any` runs on every change. */
export interface NotifySettings {
  master?: readonly string[];
  backup?: readonly string[];
  fault?: readonly string[];
  stop?: readonly string[];
  any?: readonly string[];
}

export const V3_MAX_INTERVAL_MS = 40_950;

/** Problems that make the settings unusable, as sentences; empty when they are fine. */
export function settingsProblems(s: InstanceSettings): string[] {
  const problems: string[] = [];
  const where = `vrrp instance ${s.name}`;
  if (!Number.isInteger(s.vrid) || s.vrid < 1 || s.vrid > 255) problems.push(`${where}: vrid ${s.vrid} is outside 1-255`);
  if (!Number.isInteger(s.priority) || s.priority < 1 || s.priority > 255) problems.push(`${where}: priority ${s.priority} is outside 1-255`);
  if (s.version === 2) {
    if (s.family !== 4) problems.push(`${where}: VRRPv2 is IPv4 only; use version 3 for IPv6`);
    if (s.authPassword !== undefined && (s.authPassword.length < 1 || s.authPassword.length > MAX_PASSWORD_LENGTH)) {
      problems.push(`${where}: the VRRPv2 password must be 1-${MAX_PASSWORD_LENGTH} characters`);
    }
    if (!Number.isInteger(s.advertIntervalMs / 1000) || s.advertIntervalMs < 1000 || s.advertIntervalMs > 255_000) {
      problems.push(`${where}: VRRPv2 advert_interval must be whole seconds from 1s to 255s, not ${s.advertIntervalMs}ms`);
    }
  } else if (!Number.isInteger(s.advertIntervalMs / 10) || s.advertIntervalMs < 10 || s.advertIntervalMs > V3_MAX_INTERVAL_MS) {
    problems.push(`${where}: VRRPv3 advert_interval must be a multiple of 10ms from 10ms to 40.95s, not ${s.advertIntervalMs}ms`);
  }
  if (s.version === 3 && s.authPassword !== undefined) problems.push(`${where}: VRRPv3 has no authentication (RFC 5798); use version 2 with a password`);
  if (s.vips.length < 1 || s.vips.length > 255) problems.push(`${where}: needs 1-255 vips, has ${s.vips.length}`);
  const wrongFamily = s.vips.filter((v) => familyOf(v.address) !== s.family);
  if (wrongFamily.length > 0) problems.push(`${where}: vips ${wrongFamily.map((v) => v.address).join(', ')} are not IPv${s.family}`);
  if (!Number.isInteger(s.unicastMinTtl) || s.unicastMinTtl < 1 || s.unicastMinTtl > 255) problems.push(`${where}: unicast_min_ttl ${s.unicastMinTtl} is outside 1-255`);
  if (s.preemptDelayMs < 0) problems.push(`${where}: preempt_delay cannot be negative`);
  if (s.family === 6 && s.unicastPeers.length === 0 && !isIpv6LinkLocal(s.primaryAddress)) {
    problems.push(`${where}: IPv6 adverts must come from a link-local address (RFC 5798 5.1.2.1), not ${s.primaryAddress}`);
  }
  return problems;
}
