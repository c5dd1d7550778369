// Kernel IPVS in memory, for running the daemon where the kernel has none (this host). It
// implements the daemon's IpvsKernel (src/daemon/ipvs-kernel.ts) and keeps every service and real
// server as the attribute bytes a GET_SERVICE / GET_DEST reply carries (with connection counts and
// 64-bit stats), decoded by src/ipvs/codec.ts on every read: reading 10,000 services × 4 costs the
// daemon the decoding work a real dump does, only the syscalls are missing.
import { decodeDestination, decodeService, encodeDestination, encodeService } from '../../../dist/ipvs/codec.js';
import { DestAttr, StatsAttr, SvcAttr } from '../../../dist/ipvs/constants.js';
import { serviceFamily, serviceName } from '../../../dist/ipvs/names.js';
import { hostPort } from '../../../dist/net/address.js';
import { nested, u32, u64 } from '../../../dist/kernel/attrs.js';

/** A STATS64 nest with every counter set, as a busy kernel reports it. */
function stats64(type) {
  return nested(type, [
    u64(StatsAttr.CONNS, 12345n),
    u64(StatsAttr.INPKTS, 987654n),
    u64(StatsAttr.OUTPKTS, 876543n),
    u64(StatsAttr.INBYTES, 123456789n),
    u64(StatsAttr.OUTBYTES, 98765432n),
    u64(StatsAttr.CPS, 10n),
    u64(StatsAttr.INPPS, 100n),
    u64(StatsAttr.OUTPPS, 90n),
    u64(StatsAttr.INBPS, 10000n),
    u64(StatsAttr.OUTBPS, 9000n),
  ]);
}

const serviceBytes = (s) => Buffer.concat([...encodeService(s), stats64(SvcAttr.STATS64)]);
const destinationBytes = (d) =>
  Buffer.concat([...encodeDestination(d), u32(DestAttr.ACTIVE_CONNS, 3), u32(DestAttr.INACT_CONNS, 7), u32(DestAttr.PERSIST_CONNS, 0), stats64(DestAttr.STATS64)]);

function noService(id) {
  return Object.assign(new Error(`no service ${serviceName(id)} (ESRCH)`), { errno: 3, code: 'ESRCH' });
}

export class MemoryIpvs {
  /** serviceName -> { bytes, dests: Map<hostPort, bytes> } */
  services = new Map();
  reads = 0;
  writes = 0;
  /** Called at the start of every full read (adoption, resync, status, scrape). */
  onRead = () => {};

  async read() {
    this.reads++;
    this.onRead();
    const services = [];
    for (const entry of this.services.values()) {
      const service = decodeService(entry.bytes);
      const family = serviceFamily(service);
      services.push({ service, destinations: [...entry.dests.values()].map((b) => decodeDestination(b, family)) });
    }
    return { services };
  }

  async service(id) {
    const entry = this.services.get(serviceName(id));
    return entry ? decodeService(entry.bytes) : undefined;
  }

  async destinations(id) {
    const entry = this.services.get(serviceName(id));
    if (!entry) throw noService(id);
    const family = serviceFamily(id);
    return [...entry.dests.values()].map((b) => decodeDestination(b, family));
  }

  async addService(s) {
    this.writes++;
    const key = serviceName(s);
    if (this.services.has(key)) throw Object.assign(new Error(`service ${key} exists (EEXIST)`), { errno: 17, code: 'EEXIST' });
    this.services.set(key, { bytes: serviceBytes(s), dests: new Map() });
  }

  async updateService(s) {
    this.writes++;
    const entry = this.services.get(serviceName(s));
    if (!entry) throw noService(s);
    entry.bytes = serviceBytes(s);
  }

  async deleteService(id) {
    this.writes++;
    if (!this.services.delete(serviceName(id))) throw noService(id);
  }

  async addDestination(id, d) {
    this.writes++;
    const entry = this.services.get(serviceName(id));
    if (!entry) throw noService(id);
    entry.dests.set(hostPort(d), destinationBytes(d));
  }

  async updateDestination(id, d) {
    return this.addDestination(id, d);
  }

  async deleteDestination(id, d) {
    this.writes++;
    this.services.get(serviceName(id))?.dests.delete(hostPort(d));
  }

  async setTimeouts() {}
  async startSyncDaemon() {}
  async stopSyncDaemon() {}
  close() {}
}
