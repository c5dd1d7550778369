// The receive path of one VRRP socket (one interface and family): RFC 5798 7.1 checks that need
// no configuration (TTL 255 on multicast), decoding, and dispatch by VRID. Its `onPacket` has the signature of the
// VrrpSocket callback. Nothing here throws on traffic; every discarded packet is counted once,
// on the instance its VRID byte names when there is one, on the receiver otherwise.
import { emptyDropCounts, type DropReason } from './drop-reasons.js';
import type { ReceivedAdvert } from './instance.js';
import { decodeAdvert } from './packet.js';
import { ThrottledLog } from '../log/throttled-log.js';
import { familyOf, type IpFamily } from '../net/address.js';
import type { DatagramInfo } from '../net/datagram.js';

/** An instance as the receiver sees it: a runner, or a bare state machine in tests. */
export interface AdvertSink {
  receive(advert: ReceivedAdvert): void;
  /** `src`: the sender, for a throttled log line. */
  countDrop(reason: DropReason, src: string): void;
}

export function isMulticast(address: string): boolean {
  if (familyOf(address) === 6) return address.toLowerCase().startsWith('ff');
  const first = Number(address.slice(0, address.indexOf('.')));
  return first >= 224 && first <= 239;
}

export class VrrpReceiver {
  private readonly sinks = new Map<number, AdvertSink>();
  /** Drops that name no configured VRID. */
  readonly drops = emptyDropCounts();
  packets = 0;
  private readonly dropLog: ThrottledLog<string> | undefined;

  /**
   * `onDrops` hears about drops that name no instance, at most once per reason a second (see
   * RunnerDeps.onDrops); unknown VRIDs, other routers' traffic on a shared LAN, are only counted.
   */
  constructor(
    readonly family: IpFamily,
    onDrops?: (reason: DropReason, count: number, src: string) => void,
  ) {
    this.dropLog = onDrops && new ThrottledLog((reason, count, src) => onDrops(reason as DropReason, count, src));
  }

  register(vrid: number, sink: AdvertSink): void {
    if (this.sinks.has(vrid)) throw new Error(`VRID ${vrid} is already in use on this IPv${this.family} socket`);
    this.sinks.set(vrid, sink);
  }

  unregister(vrid: number): void {
    this.sinks.delete(vrid);
  }

  readonly onPacket = (payload: Buffer, info: DatagramInfo): void => {
    this.packets++;
    const sink = payload.length >= 2 ? this.sinks.get(payload[1] as number) : undefined;
    const drop = (reason: DropReason): void => {
      if (sink) return sink.countDrop(reason, info.src);
      this.drops[reason]++;
      if (reason !== 'unknown-vrid') this.dropLog?.record(reason, info.src);
    };
    // Only a neighbour on the link can send TTL 255 (RFC 5798 7.1). A missing TTL is refused
    // too: accepting it would let off-link senders through. Multicast is refused here, before
    // decoding; a unicast advert goes on to its instance, which alone knows whether routed
    // peers are allowed (unicast_min_ttl) and drops it otherwise.
    if (info.ttl < 1 || info.ttl > 255 || (info.ttl !== 255 && isMulticast(info.dst))) return drop('bad-ttl');
    const decoded = decodeAdvert(payload, { family: this.family, src: info.src, dst: info.dst });
    if (!decoded.ok) return drop(decoded.reason);
    if (!sink) return drop('unknown-vrid');
    sink.receive({ advert: decoded.advert, src: info.src, dst: info.dst, ttl: info.ttl, checksum: decoded.checksumVariant });
  };
}
