// PING check: one ICMP echo (IPv4) or ICMPv6 echo (IPv6) per probe to the real server address;
// up when its reply arrives before the timeout. Every probe of a family and source shares one
// raw socket (src/kernel/icmp-socket.ts says why raw and not a ping socket), opened while probes
// are outstanding and closed when none are. A raw ICMP socket sees every echo reply that reaches
// the host, also ping(8)'s, so a reply counts only when identifier, sequence number, sender and
// data all match an outstanding request; anything else is counted (foreign or malformed) and
// dropped, never taken as an answer and never a crash.
import { randomBytes, randomInt } from 'node:crypto';
import { parseIp, type IpFamily } from '../../net/address.js';
import { IcmpEchoSocket } from '../../kernel/icmp-socket.js';
import type { Checker, PingCheck, ProbeResult } from '../types.js';
import { decodeEchoReply, encodeEchoRequest } from './icmp-echo.js';
import { guarded, type OnStop, reasonFromError } from './probe.js';

/** Bytes of data in each request: enough to tell our replies apart, small enough for any path. */
const ECHO_DATA_BYTES = 16;
const SEQUENCE_SPACE = 0x10000;

export interface EchoSocket {
  send(message: Buffer, dst: string): void;
  close(): void;
}

/** Opens the socket for a family and source ("" = the kernel's choice). May throw (EPERM). */
export type EchoSocketFactory = (family: IpFamily, source: string, onMessage: (message: Buffer, src: string) => void) => EchoSocket;

export interface PingCounters {
  sent: number;
  /** Replies that answered an outstanding request. */
  replies: number;
  /** Messages that were not a well-formed echo reply. */
  malformed: number;
  /** Well-formed echo replies to someone else, or to a request no longer waiting. */
  foreign: number;
}

type Verdict = Omit<ProbeResult, 'durationMs'>;

interface Outstanding {
  dst: string;
  data: Buffer;
  settle: (verdict: Verdict) => void;
}

interface SharedSocket {
  socket: EchoSocket;
  family: IpFamily;
  identifier: number;
  nextSequence: number;
  outstanding: Map<number, Outstanding>;
}

export class Pinger {
  readonly counters: PingCounters = { sent: 0, replies: 0, malformed: 0, foreign: 0 };
  private readonly sockets = new Map<string, SharedSocket>();

  constructor(private readonly open: EchoSocketFactory) {}

  /** One echo to `address`; settles with the reply, a send error, or the stop reason. */
  ping(address: string, source: string | undefined, onStop: OnStop): Promise<Verdict> {
    return new Promise<Verdict>((resolve) => {
      const ip = parseIp(address);
      if (!ip) return resolve({ ok: false, reason: `${address} is not an address` });
      const family = ip.family;
      let shared: SharedSocket;
      try {
        shared = this.socketFor(family, source ?? '');
      } catch (err) {
        return resolve({ ok: false, reason: reasonFromError(err) });
      }
      const sequence = this.freeSequence(shared);
      if (sequence === undefined) return resolve({ ok: false, reason: 'too many pings outstanding' });
      const data = randomBytes(ECHO_DATA_BYTES);
      let settled = false;
      const settle = (verdict: Verdict): void => {
        if (settled) return;
        settled = true;
        shared.outstanding.delete(sequence);
        this.closeIfIdle(shared, source ?? '');
        resolve(verdict);
      };
      shared.outstanding.set(sequence, { dst: ip.address, data, settle });
      onStop((reason) => settle({ ok: false, reason: reason === 'timeout' ? 'no echo reply (timeout)' : reason }));
      if (settled) return;
      try {
        shared.socket.send(encodeEchoRequest(family, { identifier: shared.identifier, sequence, data }), ip.address);
        this.counters.sent++;
      } catch (err) {
        settle({ ok: false, reason: reasonFromError(err) });
      }
    });
  }

  private socketFor(family: IpFamily, source: string): SharedSocket {
    const key = `${family} ${source}`;
    const existing = this.sockets.get(key);
    if (existing) return existing;
    const shared: SharedSocket = {
      family,
      // A random identifier per socket, so two lvsd (or a restarted one) do not take each other's replies.
      identifier: randomInt(0, SEQUENCE_SPACE),
      nextSequence: randomInt(0, SEQUENCE_SPACE),
      outstanding: new Map(),
      socket: this.open(family, source, (message, src) => this.receive(shared, message, src)),
    };
    this.sockets.set(key, shared);
    return shared;
  }

  private receive(shared: SharedSocket, message: Buffer, src: string): void {
    const reply = decodeEchoReply(shared.family, message);
    if ('malformed' in reply) {
      this.counters.malformed++;
      return;
    }
    const waiting = reply.identifier === shared.identifier ? shared.outstanding.get(reply.sequence) : undefined;
    if (!waiting || parseIp(src)?.address !== waiting.dst || !reply.data.equals(waiting.data)) {
      this.counters.foreign++;
      return;
    }
    this.counters.replies++;
    waiting.settle({ ok: true, reason: 'echo reply' });
  }

  /** The next sequence number not waiting for a reply; undefined when all 65536 are. */
  private freeSequence(shared: SharedSocket): number | undefined {
    for (let tries = 0; tries < SEQUENCE_SPACE; tries++) {
      const s = shared.nextSequence;
      shared.nextSequence = (s + 1) % SEQUENCE_SPACE;
      if (!shared.outstanding.has(s)) return s;
    }
    return undefined;
  }

  /** Without outstanding requests the socket is closed: nothing keeps the event loop or the fd. */
  private closeIfIdle(shared: SharedSocket, source: string): void {
    if (shared.outstanding.size > 0) return;
    this.sockets.delete(`${shared.family} ${source}`);
    shared.socket.close();
  }
}

/** The pinger of the process, on the addon's ICMP sockets. */
export const pinger = new Pinger((family, source, onMessage) => new IcmpEchoSocket(family, source, onMessage));

export const pingChecker: Checker<PingCheck> = (target, spec, signal) =>
  guarded(signal, spec.timeout, (onStop) => pinger.ping(target.address, spec.source, onStop));
