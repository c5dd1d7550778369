// The IPVS API: one IpvsClient owns one generic netlink socket (in one network namespace).
// Every method may be called many times without awaiting: requests are pipelined on the socket
// in call order and the kernel applies them in that order. A full read (read()) runs its dumps
// in the addon on a socket of its own (src/kernel/genl-dump.ts). Errors are KernelErrors carrying the
// errno and a sentence naming the object, e.g.
// "add service tcp 198.18.0.100:80: scheduler 'foo' not available in this kernel (modprobe ip_vs_foo?) (ENOENT)".
import { NetlinkErrnoError, NetlinkSocketError, toKernelError } from '../kernel/errors.js';
import { openGenlDumper, type GenlDumper } from '../kernel/genl-dump.js';
import { GenlSocket, type GenlMessage, type GenlSocketOptions } from '../kernel/genl.js';
import { decodeDestination, decodeInfo, decodeService, decodeSyncDaemon, decodeTimeouts, nestOf, request } from './codec.js';
import { Cmd, CmdAttr, IPVS_GENL_NAME, IPVS_GENL_VERSION } from './constants.js';
import { serviceFamily, serviceName } from './names.js';
import { familyName, familyOf, hostPort } from '../net/address.js';
import type {
  Destination,
  DestinationEntry,
  DestinationId,
  Info,
  KernelIpvs,
  Service,
  ServiceEntry,
  ServiceId,
  SyncDaemon,
  Timeouts,
} from './types.js';

export type IpvsClientOptions = Pick<GenlSocketOptions, 'netns' | 'window' | 'timeoutMs' | 'recvBufferSize' | 'socket' | 'onSocketError'> & {
  /**
   * Opens the socket a full read's dumps run on (default: the addon's, in `netns`; tests give a
   * fake). Each read has its own: it never holds back a write, and a read cut short by ENOBUFS
   * starts over on a socket with no dump of the old one still running in the kernel.
   */
  openDumper?: () => GenlDumper;
};

/** One service of a full read, with its real servers. */
type KernelRow = KernelIpvs['services'][number];

/** Full reads attempted when a socket error (ENOBUFS) cuts one short. */
const READ_ATTEMPTS = 3;

/** The attributes of a GET_SERVICE dump request: none, every service is listed. */
const ALL_SERVICES: readonly Buffer[] = [Buffer.alloc(0)];

/** Sentences for the errnos ip_vs_ctl.c returns, per kind of request. */
type Describe = (errno: number) => string | undefined;

const ENOENT = 2;
const ESRCH = 3;
const EEXIST = 17;
const ENODEV = 19;
const EINVAL = 22;
const ERANGE = 34;
const EAFNOSUPPORT = 97;
const EADDRNOTAVAIL = 99;

function describeService(s: ServiceId, scheduler?: string, engine?: string): Describe {
  return (errno) => {
    switch (errno) {
      case EEXIST: return 'already exists';
      case ESRCH: return 'does not exist';
      case ENOENT:
        if (scheduler === undefined) return undefined;
        if (engine) return `scheduler '${scheduler}' or persistence engine '${engine}' not available in this kernel`;
        return `scheduler '${scheduler}' not available in this kernel (modprobe ip_vs_${scheduler}?)`;
      case EINVAL: return `invalid service (${familyName(serviceFamily(s))} persistence prefix, flags or protocol rejected)`;
      case EAFNOSUPPORT: return `address family not supported by this kernel`;
      default: return undefined;
    }
  };
}

function describeDestination(s: ServiceId, d: DestinationId): Describe {
  return (errno) => {
    switch (errno) {
      case ESRCH: return `service ${serviceName(s)} does not exist`;
      case EEXIST: return 'already exists';
      case ENOENT: return 'does not exist';
      case ERANGE: return 'weight or thresholds out of range';
      case EINVAL: return `invalid destination ${hostPort(d)} (not a unicast address, or forwarding method not allowed for this address family)`;
      case EAFNOSUPPORT: return `an IPv${familyOf(d.address)} real server behind this service needs tunnel forwarding`;
      default: return undefined;
    }
  };
}

function describeDaemon(d: Pick<SyncDaemon, 'state'> & Partial<SyncDaemon>): Describe {
  return (errno) => {
    switch (errno) {
      case EEXIST: return 'already running';
      case ESRCH: return 'not running';
      case ENODEV: return `no interface ${d.interface ?? ''}`;
      case EADDRNOTAVAIL: return `interface ${d.interface ?? ''} has no usable address`;
      case EINVAL:
        return "refused: the kernel does not sync connections while a real server's address family differs from its service's (IPv4 behind IPv6 or the reverse), or the group is not multicast";
      default: return undefined;
    }
  };
}

export class IpvsClient {
  private constructor(
    private readonly sock: GenlSocket,
    private readonly family: number,
    private readonly openDumper: () => GenlDumper,
  ) {}

  /** Opens a socket and resolves the IPVS family; fails with a sentence when the kernel has no IPVS. */
  static async open(opts: IpvsClientOptions = {}): Promise<IpvsClient> {
    const sock = new GenlSocket(opts);
    try {
      const family = await sock.resolveFamily(IPVS_GENL_NAME);
      if (!family) throw new Error('kernel has no IPVS (modprobe ip_vs?)');
      const openDumper = opts.openDumper ?? (() => openGenlDumper({ netns: opts.netns, timeoutMs: opts.timeoutMs }));
      return new IpvsClient(sock, family.id, openDumper);
    } catch (err) {
      sock.close();
      throw toKernelError(err, 'open IPVS');
    }
  }

  close(): void {
    this.sock.close();
  }

  private async call(cmd: number, attrs: Buffer[], operation: string, describe?: Describe): Promise<GenlMessage[]> {
    try {
      return await this.sock.request(this.family, cmd, IPVS_GENL_VERSION, attrs);
    } catch (err) {
      throw toKernelError(err, operation, describe);
    }
  }

  /**
   * A write on the bulk path. Its error wording (service and real-server names, the errno's
   * sentence) is built only when the kernel refuses: formatting it for each of 50,000 requests
   * that succeed was a measurable share of a bulk apply.
   */
  private async write(cmd: number, attrs: Buffer[], explain: () => [operation: string, describe: Describe]): Promise<void> {
    try {
      await this.sock.request(this.family, cmd, IPVS_GENL_VERSION, attrs);
    } catch (err) {
      const [operation, describe] = explain();
      throw toKernelError(err, operation, describe);
    }
  }

  private async dump(cmd: number, attrs: Buffer[], operation: string, describe?: Describe): Promise<GenlMessage[]> {
    try {
      return await this.sock.dump(this.family, cmd, IPVS_GENL_VERSION, attrs);
    } catch (err) {
      throw toKernelError(err, operation, describe);
    }
  }

  async info(): Promise<Info> {
    const [reply] = await this.call(Cmd.GET_INFO, [], 'read IPVS info');
    if (!reply) throw new Error('read IPVS info: the kernel sent no reply');
    return decodeInfo(reply.attrs);
  }

  async services(): Promise<ServiceEntry[]> {
    const replies = await this.dump(Cmd.GET_SERVICE, [], 'list services');
    return replies.flatMap((m) => {
      const nest = m.attrs.get(CmdAttr.SERVICE);
      return nest ? [decodeService(nest)] : [];
    });
  }

  /** One service, or undefined when the kernel has none with this id. */
  async service(id: ServiceId): Promise<ServiceEntry | undefined> {
    try {
      const [reply] = await this.call(Cmd.GET_SERVICE, request.serviceId(id), `get service ${serviceName(id)}`, describeService(id));
      const nest = reply?.attrs.get(CmdAttr.SERVICE);
      return nest ? decodeService(nest) : undefined;
    } catch (err) {
      if ((err as { errno?: number }).errno === ESRCH) return undefined;
      throw err;
    }
  }

  async addService(s: Service): Promise<void> {
    await this.write(Cmd.NEW_SERVICE, request.newService(s), () => [`add service ${serviceName(s)}`, describeService(s, s.scheduler, s.persistenceEngine)]);
  }

  /** Changes scheduler, flags and persistence in place (IPVS_CMD_SET_SERVICE); connections stay. */
  async updateService(s: Service): Promise<void> {
    await this.write(Cmd.SET_SERVICE, request.setService(s), () => [`edit service ${serviceName(s)}`, describeService(s, s.scheduler, s.persistenceEngine)]);
  }

  async deleteService(id: ServiceId): Promise<void> {
    await this.write(Cmd.DEL_SERVICE, request.serviceId(id), () => [`delete service ${serviceName(id)}`, describeService(id)]);
  }

  async destinations(id: ServiceId): Promise<DestinationEntry[]> {
    const replies = await this.dump(Cmd.GET_DEST, request.serviceId(id), `list real servers of ${serviceName(id)}`, describeService(id));
    const family = serviceFamily(id);
    return replies.flatMap((m) => {
      const nest = m.attrs.get(CmdAttr.DEST);
      return nest ? [decodeDestination(nest, family)] : [];
    });
  }

  async addDestination(id: ServiceId, d: Destination): Promise<void> {
    await this.write(Cmd.NEW_DEST, request.destination(id, d), () => [`add real server ${hostPort(d)} to ${serviceName(id)}`, describeDestination(id, d)]);
  }

  async updateDestination(id: ServiceId, d: Destination): Promise<void> {
    await this.write(Cmd.SET_DEST, request.destination(id, d), () => [`edit real server ${hostPort(d)} of ${serviceName(id)}`, describeDestination(id, d)]);
  }

  async deleteDestination(id: ServiceId, d: DestinationId): Promise<void> {
    await this.write(Cmd.DEL_DEST, request.destinationId(id, d), () => [`delete real server ${hostPort(d)} of ${serviceName(id)}`, describeDestination(id, d)]);
  }

  /**
   * Every service with its real servers, read by the addon off the JS thread (genl-dump.ts): the
   * service dump, then one destination dump per service. A socket error (ENOBUFS) fails the read;
   * it then starts over on a new socket, a few times.
   */
  async read(): Promise<KernelIpvs> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.readOnce();
      } catch (err) {
        if (!(err instanceof NetlinkSocketError) || attempt >= READ_ATTEMPTS) throw err;
      }
    }
  }

  private async readOnce(): Promise<KernelIpvs> {
    const dumper = this.openDumper();
    try {
      const listed = await dumper.dump(this.family, Cmd.GET_SERVICE, IPVS_GENL_VERSION, ALL_SERVICES);
      if (listed.errno(0) !== 0) throw toKernelError(new NetlinkErrnoError(listed.errno(0)), 'list services');
      const services: ServiceEntry[] = [];
      listed.forEach(0, (start, end) => {
        const nest = nestOf(CmdAttr.SERVICE, listed.messages, start, end);
        if (nest) services.push(decodeService(listed.messages, ...nest));
      });
      const dests = await dumper.dump(this.family, Cmd.GET_DEST, IPVS_GENL_VERSION, services.map((s) => request.serviceId(s)[0] as Buffer));
      const rows: KernelRow[] = [];
      /** Services that listed no real server: either none, or deleted since the service dump. */
      const empty: KernelRow[] = [];
      services.forEach((service, i) => {
        const errno = dests.errno(i);
        if (errno === ESRCH || errno === ENOENT) return; // deleted since the service dump
        if (errno !== 0) throw toKernelError(new NetlinkErrnoError(errno), `list real servers of ${serviceName(service)}`, describeService(service));
        const family = serviceFamily(service);
        const destinations: DestinationEntry[] = [];
        dests.forEach(i, (start, end) => {
          const nest = nestOf(CmdAttr.DEST, dests.messages, start, end);
          if (nest) destinations.push(decodeDestination(dests.messages, family, ...nest));
        });
        const row = { service, destinations };
        rows.push(row);
        if (destinations.length === 0) empty.push(row);
      });
      // ip_vs_genl_dump_dests answers a service it cannot find with an empty dump, not an error:
      // ask for each empty one, so that a service deleted during the read is not reported.
      const gone = new Set<KernelRow>();
      await Promise.all(empty.map(async (row) => (await this.service(row.service)) ?? gone.add(row)));
      return { services: gone.size === 0 ? rows : rows.filter((r) => !gone.has(r)) };
    } finally {
      dumper.close();
    }
  }

  async timeouts(): Promise<Timeouts> {
    const [reply] = await this.call(Cmd.GET_CONFIG, [], 'read IPVS timeouts');
    if (!reply) throw new Error('read IPVS timeouts: the kernel sent no reply');
    return decodeTimeouts(reply.attrs);
  }

  /** Sets the given timeouts (seconds); the others are left as they are. */
  async setTimeouts(t: Partial<Timeouts>): Promise<void> {
    await this.call(Cmd.SET_CONFIG, request.timeouts(t), 'set IPVS timeouts');
  }

  async syncDaemons(): Promise<SyncDaemon[]> {
    const replies = await this.dump(Cmd.GET_DAEMON, [], 'list sync daemons');
    return replies.flatMap((m) => {
      const nest = m.attrs.get(CmdAttr.DAEMON);
      return nest ? [decodeSyncDaemon(nest)] : [];
    });
  }

  async startSyncDaemon(d: SyncDaemon): Promise<void> {
    await this.call(Cmd.NEW_DAEMON, request.startDaemon(d), `start ${d.state} sync daemon on ${d.interface}`, describeDaemon(d));
  }

  async stopSyncDaemon(state: SyncDaemon['state']): Promise<void> {
    await this.call(Cmd.DEL_DAEMON, request.stopDaemon(state), `stop ${state} sync daemon`, describeDaemon({ state }));
  }

  /** Deletes every service and real server in this namespace (ipvsadm -C). */
  async flush(): Promise<void> {
    await this.call(Cmd.FLUSH, [], 'flush IPVS');
  }

  /** Zeroes the counters of one service, or of all when no id is given (ipvsadm -Z). */
  async zero(id?: ServiceId): Promise<void> {
    await this.call(Cmd.ZERO, id ? request.serviceId(id) : [], id ? `zero counters of ${serviceName(id)}` : 'zero IPVS counters', id ? describeService(id) : undefined);
  }
}
