// What the operator asked for on the command line, validated once: the forwarding mode, the
// VIPs the real server must accept traffic for, and for NAT the gateway (the director's VIP on
// the real servers' network) the default route must point at.
import { parseIp, type ParsedIp } from '../../net/address.js';

export type RealServerMode = 'dr' | 'tun' | 'nat';

export interface RealServerSpec {
  mode: RealServerMode;
  /** Canonical, deduplicated. Empty for NAT, which does not put the VIP on the real server. */
  vips: ParsedIp[];
  /** `--uplink`: the interfaces that face the director; otherwise detected from the default route. */
  uplinks?: string[];
  /** NAT only: the address the default route must use as its gateway. */
  gateway?: ParsedIp;
}

/** A mistake on the command line; the CLI prints it and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface RawSpecOptions {
  mode?: string;
  /** Each entry may be a comma-separated list ("--vip A,B --vip C"). */
  vip?: readonly string[];
  uplink?: readonly string[];
  gateway?: string;
}

const MODES: readonly RealServerMode[] = ['dr', 'tun', 'nat'];
/** Linux interface names: up to 15 bytes, no slash, no whitespace, not "." or "..". */
const IFNAME = /^(?!\.{1,2}$)[^/\s:]{1,15}$/;

function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

export function parseSpec(raw: RawSpecOptions): RealServerSpec {
  const mode = raw.mode?.toLowerCase();
  if (!mode) throw new UsageError('--mode is required (dr, tun or nat)');
  if (!MODES.includes(mode as RealServerMode)) throw new UsageError(`--mode must be dr, tun or nat, not "${raw.mode}"`);

  const vips: ParsedIp[] = [];
  for (const text of splitList(raw.vip)) {
    const ip = parseIp(text.replace(/\/(32|128)$/, ''));
    if (!ip) throw new UsageError(`--vip: "${text}" is not an IPv4 or IPv6 address`);
    if (!vips.some((v) => v.address === ip.address)) vips.push(ip);
  }

  const uplinks = splitList(raw.uplink);
  for (const name of uplinks) {
    if (!IFNAME.test(name)) throw new UsageError(`--uplink: "${name}" is not an interface name`);
    if (name === 'lo') throw new UsageError('--uplink: lo cannot be an uplink; name the interface that faces the director');
  }

  const spec: RealServerSpec = { mode: mode as RealServerMode, vips };
  if (uplinks.length > 0) spec.uplinks = [...new Set(uplinks)];

  if (mode === 'nat') {
    if (vips.length > 0) throw new UsageError('--vip is not used with --mode nat: a NAT real server does not carry the VIP (the director rewrites it)');
    if (!raw.gateway) throw new UsageError('--mode nat needs --gateway ADDR: the director address the default route must point at');
    const gateway = parseIp(raw.gateway);
    if (!gateway) throw new UsageError(`--gateway: "${raw.gateway}" is not an IPv4 or IPv6 address`);
    spec.gateway = gateway;
  } else {
    if (raw.gateway !== undefined) throw new UsageError(`--gateway is only used with --mode nat (a ${mode.toUpperCase()} real server answers clients directly)`);
    if (vips.length === 0) throw new UsageError(`--mode ${mode} needs --vip ADDR[,ADDR]`);
  }
  return spec;
}
