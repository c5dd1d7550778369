// The lvsd config model: one zod schema that is at once the validator, the source of the
// TypeScript types (types.ts) and of the JSON Schema editors use (json-schema.ts). Keys are
// snake_case as written in YAML; defaults are applied here so consumers never see undefined
// where a default exists. Rules that relate several fields live in rules/.
import * as z from 'zod';
import { familyName, netmaskToPrefix, parseHostPort, parseIp } from '../net/address.js';
import { formatDuration } from './duration.js';
import {
  EXPECTED, addressLabel, argv, bool, cidr, duration, filePath, hostName, httpPath, intIn, interfaceName, ipAddress, list,
  mapping, name, oneOf, port, text,
} from './primitives.js';
import { bgpSchema } from './schema-bgp.js';
import { agentSchema, checksSchema } from './schema-checks.js';
import { peerSchema } from './schema-peer.js';
import { addressOrHostName, discoverHostName, resolverSchema } from './schema-resolve.js';

export { CHECK_TYPES, DNS_QUERY_TYPES, DNS_RCODES, agentSchema, checkSchema, checksSchema } from './schema-checks.js';

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'] as const;
export const SCHEDULER_FLAGS = ['sh-fallback', 'sh-port', 'mh-fallback', 'mh-port'] as const;
export const FORWARDING_METHODS = ['dr', 'nat', 'tun'] as const;
export const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** The YAML's words for an address family (net/address.ts familyName; the code uses IpFamily). */
const FAMILY_WORDS = ['ipv4', 'ipv6'] as const;
type FamilyWord = (typeof FAMILY_WORDS)[number];
const familySchema = oneOf(FAMILY_WORDS, 'address family');

// Upper bounds of the durations. Each is far beyond any sensible setting and far below what a
// timer can hold (duration.ts): a check or script that runs less than hourly watches nothing.
const HOUR = 3_600_000;
const PERIOD_MAX = HOUR;
const GARP_REFRESH_MAX = 24 * HOUR;
/** The longest interval any VRRP version can send (v2: 8 bits of seconds); rules/vrrp.ts narrows it per version. */
const ADVERT_INTERVAL_MAX = 255_000;
/**
 * IPVS connection timeouts travel in seconds and are kept in jiffies; ip_vs_set_timeout()
 * (net/netfilter/ipvs/ip_vs_ctl.c) refuses more than INT_MAX / HZ seconds with EINVAL. HZ is a
 * build option (100-1000; Debian's is 250), so the bound that holds on every kernel is
 * INT_MAX / 1000 = 2147483 s (596h31m23s).
 */
const IPVS_TIMEOUT_MAX = Math.floor(0x7fff_ffff / 1000) * 1000;
const IPVS_TIMEOUT_LIMIT = 'the kernel refuses more than INT_MAX/HZ seconds';
/**
 * The persistence timeout is kept as seconds * HZ in svc->timeout, an unsigned int, with no
 * check (ip_vs_add_service / ip_vs_edit_service): beyond UINT_MAX / HZ seconds (1193h2m47s at
 * HZ=1000) it silently wraps to a short one. Like every duration it also stays within what a
 * timer holds, which makes its bound the same whole seconds as the connection timeouts.
 */
const PERSISTENCE_MAX = IPVS_TIMEOUT_MAX;
/** A removed real server drains at most a day: past that it is a forgotten removal, not a drain. */
const DRAIN_TIMEOUT_MAX = 24 * HOUR;
/** Also what a service dropped from the config while lvsd was down drains for (its own setting is gone). */
export const DEFAULT_DRAIN_TIMEOUT_MS = 5 * 60_000;

// ---------------------------------------------------------------- daemon-wide settings

export const nodeSchema = mapping(
  { name: name('this load balancer, as shown in logs, metrics and to the peer') },
  'identity of this node',
);

const controlSchema = mapping(
  {
    socket: filePath('unix socket the lvsd CLI talks to the daemon on', { absolute: true }).default('/run/lvsd/lvsd.sock'),
  },
  'control socket',
);

const LISTEN_ERROR = `${EXPECTED}address:port such as 127.0.0.1:9810 or [::1]:9810`;

const metricsSchema = mapping(
  {
    listen: z
      .string({ error: LISTEN_ERROR })
      .refine((v) => parseHostPort(v) !== undefined, { error: LISTEN_ERROR })
      .default('127.0.0.1:9810')
      .describe('address:port of the Prometheus /metrics endpoint, e.g. 127.0.0.1:9810 or [::1]:9810'),
    ipvs_stats_interval: duration('how old the IPVS counters a scrape shows may be: the kernel table is read at most this often', PERIOD_MAX).prefault('10s'),
  },
  'Prometheus metrics endpoint',
);

const loggingSchema = mapping({ level: oneOf(LOG_LEVELS, 'minimum level logged').default('info') }, 'logging');

const ipvsTimeoutsSchema = mapping(
  {
    tcp: duration('idle timeout of established TCP connections (whole seconds)', IPVS_TIMEOUT_MAX, IPVS_TIMEOUT_LIMIT).optional(),
    tcpfin: duration('timeout of TCP connections after FIN (whole seconds)', IPVS_TIMEOUT_MAX, IPVS_TIMEOUT_LIMIT).optional(),
    udp: duration('timeout of UDP flows (whole seconds)', IPVS_TIMEOUT_MAX, IPVS_TIMEOUT_LIMIT).optional(),
  },
  'IPVS connection timeouts; absent ones are left as the kernel has them',
);

const syncDaemonSchema = mapping(
  {
    enabled: bool('run the kernel IPVS connection sync daemon').default(false),
    interface: interfaceName('interface the sync daemon sends and receives on').optional(),
    sync_id: intIn(0, 255).default(0).describe('syncid shared by master and backup'),
    follow_vrrp: bool('run as master while this node is VRRP master, as backup otherwise; the only way it runs (there is no fixed role), so false is refused while enabled').default(true),
  },
  'IPVS connection synchronization between the two nodes',
);

const ipvsSchema = mapping(
  {
    purge_unmanaged: bool('remove IPVS services that are not in this file').default(false),
    remove_on_exit: bool('remove the managed IPVS services when lvsd stops').default(false),
    state_dir: z
      .string({ error: `${EXPECTED}an absolute path` })
      .regex(/^\/./, { error: `${EXPECTED}an absolute path` })
      .default('/var/lib/lvsd')
      .describe('directory of the state files: the kernel services lvsd manages (so a restart removes the ones dropped from this file), removals still draining, operator overrides'),
    max_removal_percent: intIn(0, 100, 'a percentage')
      .default(50)
      .describe('a reload (or start) that would remove more than this share of the managed services is refused unless forced (lvsd reload --force)'),
    timeouts: ipvsTimeoutsSchema.prefault({}),
    sync_daemon: syncDaemonSchema.prefault({}),
    resync_interval: duration(
      'how often the whole IPVS table is read back and put right (a change made behind lvsd, a lost netlink reply); refused changes are retried sooner, backing off up to this',
      PERIOD_MAX,
    ).prefault('60s'),
  },
  'kernel IPVS settings',
);

// ---------------------------------------------------------------- VRRP

/**
 * The VRRP thread's real-time priority stays below the kernel's threaded interrupt handlers (50,
 * kernel/irq/manage.c), which deliver the very packets it sends and receives.
 */
const REALTIME_PRIORITY_MAX = 49;

const vipObjectSchema = mapping(
  {
    address: ipAddress('the virtual address'),
    prefix: intIn(0, 128, 'a prefix length').optional().describe('prefix length; default /32 or /128'),
    dev: interfaceName('interface to add the address on; default the instance interface').optional(),
    label: addressLabel('address label (IPv4 only), e.g. eth0:vip').optional(),
    allow_link_local: bool('allow a link-local address (169.254/16, fe80::/10) as this VIP').optional(),
  },
  'a virtual address with options',
);

const vipSchema = z
  .union([cidr('a virtual address, e.g. 198.18.0.100/24'), vipObjectSchema], {
    error: `${EXPECTED}an address such as 198.18.0.100/24 or a mapping { address, prefix, dev, label }`,
  })
  .transform((vip, ctx): VipConfigShape => {
    const full = parseIp(vip.address)?.family === 6 ? 128 : 32;
    const prefix = vip.prefix ?? full;
    if (prefix > full) {
      ctx.issues.push({ code: 'custom', message: `${EXPECTED}a prefix length 0-${full} for ${vip.address}`, input: vip, path: ['prefix'] });
      return z.NEVER;
    }
    const out: VipConfigShape = { address: vip.address, prefix };
    if ('dev' in vip && vip.dev !== undefined) out.dev = vip.dev;
    if ('label' in vip && vip.label !== undefined) out.label = vip.label;
    if ('allow_link_local' in vip && vip.allow_link_local !== undefined) out.allow_link_local = vip.allow_link_local;
    return out;
  });

/** A VIP after loading, whichever way it was written. */
interface VipConfigShape {
  address: string;
  prefix: number;
  dev?: string;
  label?: string;
  allow_link_local?: boolean;
}

const trackWeight = () => intIn(-254, 254, 'a weight').default(0);

const trackSchema = mapping(
  {
    interfaces: list(
      mapping(
        {
          name: interfaceName('interface to watch'),
          weight: trackWeight().describe('priority change while the interface is down; 0 = go to FAULT'),
        },
        'tracked interface',
      ),
      'interfaces whose link state affects this instance',
    ).default([]),
    scripts: list(
      mapping(
        {
          name: name('script name, for logs'),
          command: argv('program and arguments, run without a shell; exit 0 = success'),
          interval: duration('time between runs', PERIOD_MAX).prefault('2s'),
          timeout: duration('a run taking longer counts as failed', PERIOD_MAX).prefault('1s'),
          weight: trackWeight().describe('priority change while failing; 0 = go to FAULT'),
          rise: intIn(1, 100).default(1).describe('consecutive successes before it counts as up'),
          fall: intIn(1, 100).default(1).describe('consecutive failures before it counts as down'),
        },
        'tracked script',
      ),
      'scripts whose result affects this instance',
    ).default([]),
    files: list(
      mapping(
        {
          path: filePath('file holding an integer'),
          weight: intIn(-254, 254, 'a weight').default(1).describe('multiplier for the number in the file; 0 = any non-zero value means FAULT'),
        },
        'tracked file',
      ),
      'files whose content changes the priority',
    ).default([]),
  },
  'what can lower the priority of this instance or put it in FAULT',
);

const notifySchema = mapping(
  {
    master: argv('run on becoming MASTER').optional(),
    backup: argv('run on becoming BACKUP').optional(),
    fault: argv('run on entering FAULT').optional(),
    stop: argv('run when the instance stops').optional(),
    any: argv('run on every transition, with the instance (or sync group) name and the new state appended as two arguments').optional(),
  },
  'commands run on state changes (no shell)',
).meta({ id: 'Notify' });

const garpSchema = mapping(
  {
    repeat: intIn(1, 100).default(5).describe('gratuitous ARPs / unsolicited NAs sent on becoming MASTER'),
    delay: duration('delay before a second burst after becoming MASTER; 0 = none', PERIOD_MAX).prefault('5s'),
    refresh: duration('re-announce the VIPs this often while MASTER; 0 = never', GARP_REFRESH_MAX).prefault('0s'),
    repeat_refresh: intIn(1, 100).default(1).describe('packets per refresh'),
  },
  'gratuitous ARP / unsolicited neighbour advertisement',
);

/** keepalived's `authentication` block: VRRPv2 only, rules/vrrp.ts says why AH and v3 are refused. */
const authenticationSchema = mapping(
  {
    type: oneOf(['pass', 'ah'], 'pass = simple text password (RFC 2338, keepalived auth_type PASS); ah is refused (RFC 3768 removed it)'),
    password: z
      .string({ error: `${EXPECTED}1-8 printable ASCII characters` })
      .regex(/^[\x21-\x7e]{1,8}$/, { error: `${EXPECTED}1-8 printable ASCII characters (keepalived uses only the first 8)` })
      .describe('the same on every node; it travels in clear'),
  },
  'VRRPv2 authentication, only to pair with keepalived nodes that use it (it is no security: RFC 3768 removed it)',
);

/**
 * use_vmac (keepalived's name): the VIPs live on a macvlan carrying the VRRP virtual MAC of RFC 5798
 * sec. 7.3, so clients and switches keep one MAC for the VIPs across failovers.
 */
const vmacSchema = z.union(
  [
    bool('put the VIPs on a macvlan with the virtual MAC 00:00:5e:00:01:VRID (IPv4) / 00:00:5e:00:02:VRID (IPv6), named vrrp.VRID / vrrp6.VRID'),
    mapping(
      { name: interfaceName('name of the macvlan; default vrrp.VRID (IPv4) or vrrp6.VRID (IPv6), as keepalived names it').optional() },
      'a virtual MAC on a macvlan with a name of your choosing',
    ),
  ],
  { error: `${EXPECTED}true, false or a mapping { name }` },
).describe('virtual MAC (RFC 5798 7.3): the VIPs go on a macvlan with 00:00:5e:00:01:VRID (IPv4) / 00:00:5e:00:02:VRID (IPv6), up only while master, and adverts and gratuitous ARPs leave from it, so neighbours keep one MAC for the VIPs across failovers');

export const instanceSchema = mapping(
  {
    name: name('instance name, unique'),
    interface: interfaceName('interface the adverts are sent on'),
    vrid: intIn(1, 255, 'a virtual router id').describe('virtual router id, unique per interface and family'),
    priority: intIn(1, 255, 'a priority').default(100).describe('higher wins; 255 = this node owns the addresses'),
    version: z.union([z.literal(2), z.literal(3)], { error: `${EXPECTED}2 or 3` }).default(3).describe('VRRP version: 2 (RFC 3768, IPv4 only) or 3 (RFC 5798)'),
    advert_interval: duration('advertisement interval; whole seconds for v2, 10ms steps up to 40.95s for v3', ADVERT_INTERVAL_MAX).prefault('1s'),
    preempt: bool('take over from a lower-priority master').default(true),
    preempt_delay: duration('wait this long after start before preempting', PERIOD_MAX).prefault('0s'),
    accept: bool('Accept_Mode: accept packets to the VIPs while master even when not the owner').default(true),
    checksum: oneOf(['auto', 'rfc5798', 'rfc9568'], 'VRRPv3-over-IPv4 checksum variant (implementations disagree on the IPv4 pseudo-header, see RFC 9568); auto accepts either').default('auto'),
    unicast_source: ipAddress('source address for unicast adverts').optional(),
    unicast_peers: list(ipAddress('peer address'), 'send adverts to these peers instead of multicast').default([]),
    unicast_min_ttl: intIn(1, 255, 'a TTL').default(255).describe('lowest TTL / hop limit accepted from unicast_peers; 255 = on the link only (RFC 5798); lower only for peers behind routers'),
    authentication: authenticationSchema.optional(),
    vips: list(vipSchema, 'the virtual addresses this instance floats', 'a list of addresses').min(1, { error: `${EXPECTED}at least one VIP` }),
    allow_link_local: bool('allow link-local VIPs (169.254/16, fe80::/10) in this instance').default(false),
    use_vmac: vmacSchema.default(false),
    track: trackSchema.prefault({}),
    notify: notifySchema.prefault({}),
    garp: garpSchema.prefault({}),
  },
  'a VRRP instance',
);

const syncGroupSchema = mapping(
  {
    name: name('sync group name, unique'),
    instances: list(name('instance name'), 'instances that change state together', 'a list of instance names').min(1, { error: `${EXPECTED}at least one instance name` }),
    notify: notifySchema.optional(),
  },
  'instances that are always in the same state',
);

const vrrpSchema = mapping(
  {
    instances: list(instanceSchema, 'VRRP instances').default([]),
    sync_groups: list(syncGroupSchema, 'VRRP sync groups').default([]),
    realtime_priority: intIn(0, REALTIME_PRIORITY_MAX, 'a SCHED_RR priority')
      .default(10)
      .describe(`SCHED_RR priority of the VRRP thread, so adverts go out on time however busy the CPU is (needs CAP_SYS_NICE); 0 = normal scheduling at nice -10. At most ${REALTIME_PRIORITY_MAX}: the kernel's interrupt threads run at 50`),
  },
  'VRRP: which addresses float between the nodes',
);

// ---------------------------------------------------------------- services

const forwardingSchema = oneOf(FORWARDING_METHODS, 'dr = direct routing, nat = masquerading, tun = IP tunnelling');

const tunnelSchema = mapping(
  {
    type: oneOf(['ipip', 'gue', 'gre'], 'encapsulation'),
    port: port().optional().describe('GUE destination port'),
    checksum: oneOf(['none', 'csum', 'remcsum'], 'tunnel checksum (GUE and GRE)').optional(),
  },
  'tunnel encapsulation for forwarding tun',
);

const realServerSchema = mapping(
  {
    address: addressOrHostName('real server address, or a DNS name followed as it changes (resolver section)').optional(),
    discover: discoverHostName('instead of address: a DNS name whose every A/AAAA record is a real server with these settings (a pool that scales)').optional(),
    port: port().optional().describe('default the service port; must equal it for dr and tun'),
    weight: intIn(0, 65535, 'an integer').default(1).describe('relative share of new connections; 0 = no new connections'),
    forwarding: forwardingSchema.optional().describe('override the service forwarding method'),
    upper_threshold: intIn(0, 4294967295, 'a connection count').optional().describe('stop sending new connections above this many; 0 = no limit'),
    lower_threshold: intIn(0, 4294967295, 'a connection count').optional().describe('resume below this many'),
    tunnel: tunnelSchema.optional(),
    check: checksSchema.optional().describe('replaces the service check(s) for this server: one check or a list that must all pass; to change a few fields, merge the service check in with a YAML anchor: { <<: *web_check, port: 8081 }'),
    agent: agentSchema.optional().describe("replaces the service's agent check for this server"),
    on_failure: oneOf(['remove', 'drain'], "replaces the service's on_failure for this server (drain = keepalived's inhibit_on_failure)").optional(),
  },
  'a real server',
);

const sorryServerSchema = mapping(
  {
    address: ipAddress('address used when no real server is healthy'),
    port: port().optional().describe('default the service port'),
    forwarding: forwardingSchema.optional().describe('default the service forwarding method'),
  },
  'fallback server used when no real server is healthy or quorum is lost',
);

const serviceInputSchema = mapping(
  {
    name: name('service name, unique'),
    vip: ipAddress('virtual address clients connect to').optional(),
    port: intIn(0, 65535, 'a port').optional().describe('virtual port; 0 = all ports (needs persistence)'),
    protocol: oneOf(PROTOCOLS, 'transport protocol').optional(),
    fwmark: intIn(1, 4294967295, 'a firewall mark').optional().describe('match packets by firewall mark instead of vip/port/protocol'),
    family: familySchema.optional().describe('address family; required with fwmark'),
    scheduler: oneOf(SCHEDULERS, 'IPVS scheduler').default('wlc'),
    scheduler_flags: list(oneOf(SCHEDULER_FLAGS, 'scheduler flag'), 'flags for the sh and mh schedulers').default([]),
    one_packet: bool('schedule each UDP datagram separately').default(false),
    persistence: duration('keep a client on the same real server this long; 0 = off', PERSISTENCE_MAX, 'the kernel keeps it in 32-bit jiffies').prefault('0s'),
    persistence_netmask: z
      .union([z.number(), z.string()], { error: `${EXPECTED}an IPv4 netmask such as 255.255.255.0 or a prefix length` })
      .optional()
      .describe('group clients for persistence: IPv4 netmask (255.255.255.0) or prefix length'),
    forwarding: forwardingSchema.default('dr'),
    quorum: intIn(0, 4294967295, 'a weight sum').default(0).describe('the service is up only while healthy weights sum to at least this; 0 = any'),
    quorum_hysteresis: intIn(0, 4294967295, 'a weight sum').default(0).describe('margin around quorum to avoid flapping'),
    sorry_server: sorryServerSchema.optional(),
    on_failure: oneOf(['remove', 'drain'], 'what happens to a failed real server: remove it, or set its weight to 0').default('remove'),
    quorum_up: argv('run when the service gains quorum (no shell); LVSD_SERVICE, LVSD_QUORUM=up, LVSD_HEALTHY_WEIGHT and LVSD_QUORUM_NEEDED are set').optional(),
    quorum_down: argv('run when the service loses quorum, as quorum_up with LVSD_QUORUM=down').optional(),
    active_on: oneOf(['always', 'master'], 'always = in the kernel on every node (failover is instant); master = only while this node is VRRP master of vrrp_instance, for a backup that must not forward (NAT gateway, firewall)').default('always'),
    vrrp_instance: name('the VRRP instance whose master runs this service (active_on: master); default the instance that floats the vip').optional(),
    drain_timeout: duration('a real server (or this service) removed by a config change or `lvsd disable` keeps weight 0 until its active connections end, at most this long; 0 = delete at once', DRAIN_TIMEOUT_MAX).prefault(formatDuration(DEFAULT_DRAIN_TIMEOUT_MS)),
    check: checksSchema.optional().describe('health check for the real servers, or a list of checks that must all pass; absent = always healthy'),
    agent: agentSchema.optional(),
    real_servers: list(realServerSchema, 'the real servers behind this service').default([]),
  },
  'a virtual service',
);

type ServiceInput = z.output<typeof serviceInputSchema>;
type RealServerInput = ServiceInput['real_servers'][number];
type Forwarding = (typeof FORWARDING_METHODS)[number];

/** The parts of a service that differ between address and firewall-mark services. */
type ServiceMatch =
  | { vip: string; port: number; protocol: (typeof PROTOCOLS)[number]; fwmark?: undefined }
  | { fwmark: number; vip?: undefined; port?: undefined; protocol?: undefined };

/**
 * A real server given by name keeps the name in `host` (and in `address` until src/resolve puts
 * a resolved address there); `discover` marks a name that stands for all of its addresses.
 */
type NormalizedRealServer = Omit<RealServerInput, 'port' | 'forwarding' | 'address' | 'discover'> & {
  address: string;
  port: number;
  forwarding: Forwarding;
  host?: string;
  discover?: true;
};

type NormalizedService = Omit<ServiceInput, 'vip' | 'port' | 'protocol' | 'fwmark' | 'family' | 'persistence_netmask' | 'real_servers' | 'sorry_server'> &
  ServiceMatch & {
    family: FamilyWord;
    /** Prefix length (an IPv4 netmask is converted), only with persistence. */
    persistence_netmask?: number;
    /** Ports and forwarding resolved: an omitted port is the service port (0 for fwmark services). */
    real_servers: NormalizedRealServer[];
    sorry_server?: { address: string; port: number; forwarding: Forwarding };
  };

/**
 * A service is either vip + port (+ protocol, default tcp) or fwmark + family. That choice
 * decides the shape of the typed output, so it is checked here rather than in rules/.
 */
const serviceSchema = serviceInputSchema.transform((s, ctx): NormalizedService => {
  const fail = (path: string, message: string): never => {
    ctx.issues.push({ code: 'custom', message, input: s, path: path ? [path] : [] });
    return z.NEVER as never;
  };
  if (s.vip !== undefined && s.fwmark !== undefined) return fail('fwmark', 'fwmark cannot be combined with vip, a service matches either vip/port/protocol or a firewall mark');
  if (s.vip === undefined && s.fwmark === undefined) return fail('', 'a service needs either vip + port (+ protocol) or fwmark + family, found neither');
  let family: FamilyWord;
  let match: ServiceMatch;
  if (s.vip !== undefined) {
    family = familyName(parseIp(s.vip)?.family ?? 4);
    if (s.family !== undefined && s.family !== family) return fail('family', `family ${s.family} contradicts vip ${s.vip}, which is ${family}`);
    if (s.port === undefined) return fail('', `key "port" is missing, expected the port of vip ${s.vip} (0 = all ports)`);
    match = { vip: s.vip, port: s.port, protocol: s.protocol ?? 'tcp' };
  } else {
    if (s.family === undefined) return fail('', 'key "family" is missing, a fwmark service needs family: ipv4 or ipv6');
    if (s.port !== undefined) return fail('port', 'port cannot be used with fwmark, the firewall mark selects the traffic');
    if (s.protocol !== undefined) return fail('protocol', 'protocol cannot be used with fwmark, the firewall mark selects the traffic');
    family = s.family;
    match = { fwmark: s.fwmark ?? 0 };
  }
  let netmask: number | undefined;
  if (s.persistence_netmask !== undefined) {
    netmask = persistencePrefix(s.persistence_netmask, family);
    if (netmask === undefined) {
      return fail('persistence_netmask', family === 'ipv4'
        ? `${JSON.stringify(s.persistence_netmask)} is not a netmask, expected a contiguous IPv4 netmask such as 255.255.255.0 or a prefix length 1-32`
        : `${JSON.stringify(s.persistence_netmask)} is not a prefix length, expected an IPv6 prefix length 1-128`);
    }
  }
  const servicePort = match.port ?? 0;
  const out = copyFields(s, SERVICE_RESHAPED_KEYS);
  Object.assign(out, match);
  out.family = family;
  // The real servers zod just built are this parse's own: completed in place, an omitted port
  // or forwarding added last as a copy would have it.
  let bad = false;
  for (const [r, rs] of (s.real_servers as { address?: string; discover?: string | true; host?: string; port?: number; forwarding?: Forwarding }[]).entries()) {
    if ((rs.address === undefined) === (rs.discover === undefined)) {
      ctx.issues.push({ code: 'custom', message: rs.address === undefined ? 'key "address" is missing, expected an address or a DNS name (or discover: NAME)' : 'discover cannot be combined with address, expected one of them', input: rs, path: ['real_servers', r, ...(rs.address === undefined ? [] : ['discover'])] });
      bad = true;
      continue;
    }
    if (typeof rs.discover === 'string') {
      rs.address = rs.host = rs.discover;
      rs.discover = true;
    } else if (parseIp(rs.address as string) === undefined) {
      rs.host = rs.address;
    }
    rs.port ??= servicePort;
    rs.forwarding ??= s.forwarding;
  }
  if (bad) return z.NEVER as never;
  out.real_servers = s.real_servers;
  if (netmask !== undefined) out.persistence_netmask = netmask;
  const sorry = s.sorry_server;
  if (sorry) out.sorry_server = { address: sorry.address, port: sorry.port ?? servicePort, forwarding: sorry.forwarding ?? s.forwarding };
  return out as unknown as NormalizedService;
});

/** Input keys of a service that the transform replaces (and re-adds, in this order, after the others). */
const SERVICE_RESHAPED_KEYS: ReadonlySet<string> = new Set(['vip', 'port', 'protocol', 'fwmark', 'family', 'persistence_netmask', 'sorry_server', 'real_servers']);

/**
 * A copy of `from`'s own fields but `except`, made by plain stores in key order, so that every
 * copy of objects with the same keys shares one hidden class. Object rest and spread gave each of
 * 10,000 services and each of their real servers a hidden class of its own: every later read of
 * a field (rules, planning, the daemon) was slow, and the classes alone took tens of MB.
 */
function copyFields(from: object, except: ReadonlySet<string>): Record<string, unknown> {
  const source = from as Record<string, unknown>;
  const to: Record<string, unknown> = {};
  for (const key of Object.keys(source)) if (!except.has(key)) to[key] = source[key];
  return to;
}

function persistencePrefix(value: number | string, family: FamilyWord): number | undefined {
  if (typeof value === 'string') return family === 'ipv4' ? netmaskToPrefix(value) : undefined;
  const max = family === 'ipv4' ? 32 : 128;
  return Number.isInteger(value) && value >= 1 && value <= max ? value : undefined;
}

// ---------------------------------------------------------------- the file

export const configSchema = mapping(
  {
    node: nodeSchema,
    control: controlSchema.prefault({}),
    metrics: metricsSchema.prefault({}),
    logging: loggingSchema.prefault({}),
    ipvs: ipvsSchema.prefault({}),
    vrrp: vrrpSchema.prefault({}),
    services: list(serviceSchema, 'virtual services').default([]),
    bgp: bgpSchema.optional(),
    peer: peerSchema.optional(),
    resolver: resolverSchema.prefault({}),
  },
  'lvsd configuration',
);
