// The transport shell of the peer protocol: TCP between the nodes, one line per frame (auth.ts),
// the messages of codec.ts. Everything decided (who wins, what to apply) is the caller's: this
// only moves records and counts what it had to drop.
//
// Each node listens on its own address (peer.listen: the sync interface's address, so nothing
// else reaches it) and accepts connections only from the configured peer addresses; it connects
// from that same address to each peer and pushes its records there: a snapshot on every connect,
// then each change as it happens. The accepting side acks every message, so the sender knows the
// other node has it (`lvsd status` shows it). A connection that drops, or goes quiet for three
// pings, is closed and made again with a back-off; whatever changed meanwhile is in the next
// snapshot, so nothing is queued and nothing is lost. Frames that fail the checks are counted by
// reason, logged at most once a second, and end their connection; none is ever obeyed.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { hostPort } from '../net/address.js';
import { ThrottledLog } from '../log/throttled-log.js';
import { checkFrame, newNonce, ReplayGuard, signFrame, type DropReason } from './auth.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION, type PeerBody, type PeerMessage } from './codec.js';
import type { ChangeRecord } from './types.js';

/** Keep-alive and liveness: a ping this often, the connection dropped after this many unanswered. */
export const PING_MS = 2_000;
const MISSED_PINGS = 3;
/** Reconnect back-off: doubles from the first to the last. */
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

export interface PeerAddress {
  address: string;
  port: number;
}

/** The part of pino the link uses. */
export interface PeerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PeerLinkOptions {
  /** This node's name, as it signs its records. */
  node: string;
  listen: PeerAddress;
  peers: readonly PeerAddress[];
  secret: string;
  /** How far a frame's timestamp may be from our clock (and how long nonces are remembered). */
  windowMs: number;
  log: PeerLog;
  /** Every record this node holds, for the snapshot sent on each connect. */
  snapshot(): ChangeRecord[];
  /** Records from `from`; returns how many won (were new to this node). */
  receive(records: ChangeRecord[], from: string): number;
  now?: () => number;
}

export type DropCounts = Record<DropReason, number>;

/** One peer as this node sees it: our connection to it, and its connection to us. */
export interface PeerState {
  address: string;
  /** Its node name, once it has spoken. */
  node: string | null;
  /** Our connection to it is up (its last ack came within the liveness limit). */
  connected: boolean;
  /** Epoch ms of the last change of `connected`. */
  since: number | null;
  /** Epoch ms it last acknowledged a message of ours. */
  lastAck: number | null;
  /** Round trip of the last acknowledged message, ms. */
  rttMs: number | null;
  /** Its connection to us is up. */
  inbound: boolean;
  /** Epoch ms a message of it was last accepted. */
  lastReceived: number | null;
}

export interface PeerLinkStatus {
  listen: string;
  peers: PeerState[];
  /** Records received that won (changed this node). */
  recordsApplied: number;
  recordsSent: number;
  /** Frames received and accepted. */
  framesAccepted: number;
  /** Frames refused, by reason. */
  dropped: DropCounts;
  /** Connections from addresses that are not a configured peer. */
  connectionsRefused: number;
}

/** Splits a stream into lines; refuses a line longer than MAX_FRAME_BYTES. */
class Lines {
  private pending = '';
  push(chunk: string): string[] | undefined {
    this.pending += chunk;
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    if (this.pending.length > MAX_FRAME_BYTES) return undefined;
    return parts.filter((l) => l !== '');
  }
}

interface Outbound {
  peer: PeerAddress;
  state: PeerState;
  socket: Socket | undefined;
  seq: number;
  /** seq -> when it was sent, until acked. */
  unacked: Map<number, number>;
  missed: number;
  ping: NodeJS.Timeout | undefined;
  retry: NodeJS.Timeout | undefined;
  backoff: number;
}

export class PeerLink {
  private readonly server: Server;
  private readonly outbound: Outbound[];
  private readonly inbound = new Set<Socket>();
  private readonly guard: ReplayGuard;
  private readonly now: () => number;
  private readonly dropLog: ThrottledLog<string>;
  private readonly counts = { recordsApplied: 0, recordsSent: 0, framesAccepted: 0, connectionsRefused: 0 };
  private readonly dropped: DropCounts = { malformed: 0, forged: 0, replayed: 0, stale: 0, misdirected: 0 };
  private stopped = false;

  private constructor(private readonly o: PeerLinkOptions) {
    this.now = o.now ?? Date.now;
    this.guard = new ReplayGuard(o.windowMs);
    this.dropLog = new ThrottledLog((reason, count, from) => o.log.warn({ reason, count, from }, `peer: dropped ${count} frame(s) (${reason}) from ${from}; none is obeyed`));
    this.server = createServer((socket) => this.accept(socket));
    this.outbound = o.peers.map((peer) => ({
      peer,
      state: { address: hostPort(peer), node: null, connected: false, since: null, lastAck: null, rttMs: null, inbound: false, lastReceived: null },
      socket: undefined,
      seq: 0,
      unacked: new Map(),
      missed: 0,
      ping: undefined,
      retry: undefined,
      backoff: RECONNECT_MIN_MS,
    }));
  }

  /** Listens on `listen` and starts connecting to the peers. Rejects when the address cannot be bound. */
  static async start(o: PeerLinkOptions): Promise<PeerLink> {
    const link = new PeerLink(o);
    await new Promise<void>((resolve, reject) => {
      link.server.once('error', reject);
      link.server.listen({ host: o.listen.address, port: o.listen.port }, () => {
        link.server.off('error', reject);
        resolve();
      });
    });
    link.server.on('error', (err) => o.log.warn({ err }, 'peer: listener error'));
    for (const out of link.outbound) link.connect(out);
    return link;
  }

  private get self(): string {
    return hostPort(this.o.listen);
  }

  /** Sends local changes to every connected peer (one not connected gets them in its next snapshot). */
  send(records: ChangeRecord[]): void {
    if (records.length === 0) return;
    for (const out of this.outbound) if (out.socket && out.state.connected) this.write(out, { type: 'change', records });
  }

  status(): PeerLinkStatus {
    return { listen: this.self, peers: this.outbound.map((o) => ({ ...o.state })), ...this.counts, dropped: { ...this.dropped } };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.dropLog.stop();
    for (const out of this.outbound) {
      clearInterval(out.ping);
      clearTimeout(out.retry);
      out.socket?.destroy();
    }
    for (const s of this.inbound) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------ our connections to the peers

  private connect(out: Outbound): void {
    if (this.stopped) return;
    const socket = createConnection({ host: out.peer.address, port: out.peer.port, localAddress: this.o.listen.address });
    out.socket = socket;
    out.seq = 0;
    out.unacked.clear();
    out.missed = 0;
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.setKeepAlive(true, PING_MS);
    socket.on('connect', () => {
      this.write(out, { type: 'hello' });
      const records = this.o.snapshot();
      this.write(out, { type: 'snapshot', records });
      out.ping = setInterval(() => this.ping(out), PING_MS);
      out.ping.unref();
    });
    const lines = new Lines();
    socket.on('data', (chunk: string) => {
      const got = lines.push(chunk);
      if (!got) return this.drop(socket, 'malformed', out.state.address);
      for (const line of got) {
        const v = checkFrame(line, { secret: this.o.secret, self: this.o.node, node: this.o.node, guard: this.guard, now: this.now });
        if (!v.ok) return this.drop(socket, v.reason, out.state.address);
        this.counts.framesAccepted++;
        if (v.message.type !== 'ack') return this.drop(socket, 'malformed', out.state.address);
        this.acked(out, v.message.from, v.message.acks);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.lost(out, socket));
  }

  private acked(out: Outbound, from: string, seq: number): void {
    const sent = out.unacked.get(seq);
    out.unacked.delete(seq);
    const now = this.now();
    out.missed = 0;
    out.backoff = RECONNECT_MIN_MS;
    out.state.node = from;
    out.state.lastAck = now;
    if (sent !== undefined) out.state.rttMs = now - sent;
    if (!out.state.connected) {
      out.state.connected = true;
      out.state.since = now;
      this.o.log.info({ peer: out.state.address, node: from }, `peer: connected to ${from} at ${out.state.address}, snapshot sent`);
    }
  }

  private ping(out: Outbound): void {
    if (++out.missed > MISSED_PINGS) {
      this.o.log.warn({ peer: out.state.address }, `peer: ${out.state.address} stopped answering; reconnecting`);
      out.socket?.destroy();
      return;
    }
    this.write(out, { type: 'ping' });
  }

  private write(out: Outbound, body: PeerBody): void {
    const seq = ++out.seq;
    const message = { v: PROTOCOL_VERSION, from: this.o.node, to: out.state.address, ts: this.now(), nonce: newNonce(), seq, ...body } as PeerMessage;
    out.unacked.set(seq, this.now());
    if ('records' in body) this.counts.recordsSent += body.records.length;
    out.socket?.write(`${signFrame(this.o.secret, message)}\n`);
  }

  private lost(out: Outbound, socket: Socket): void {
    if (out.socket !== socket) return;
    clearInterval(out.ping);
    out.ping = undefined;
    out.socket = undefined;
    if (out.state.connected) {
      out.state.connected = false;
      out.state.since = this.now();
      this.o.log.warn({ peer: out.state.address }, `peer: connection to ${out.state.address} lost; reconnecting`);
    }
    if (this.stopped) return;
    const delay = out.backoff;
    out.backoff = Math.min(2 * out.backoff, RECONNECT_MAX_MS);
    out.retry = setTimeout(() => this.connect(out), delay);
    out.retry.unref();
  }

  // ------------------------------------------------------------ the peers' connections to us

  private accept(socket: Socket): void {
    const remote = socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    const out = this.outbound.find((o) => o.peer.address === remote);
    if (!out || this.stopped) {
      this.counts.connectionsRefused++;
      this.dropLog.record('refused', remote);
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.setKeepAlive(true, PING_MS);
    let seq = 0;
    const lines = new Lines();
    socket.on('data', (chunk: string) => {
      const got = lines.push(chunk);
      if (!got) return this.drop(socket, 'malformed', remote);
      for (const line of got) {
        const v = checkFrame(line, { secret: this.o.secret, self: this.self, node: this.o.node, guard: this.guard, now: this.now });
        if (!v.ok) return this.drop(socket, v.reason, remote);
        this.counts.framesAccepted++;
        const m = v.message;
        out.state.inbound = true;
        out.state.node = m.from;
        out.state.lastReceived = this.now();
        let applied = 0;
        if (m.type === 'snapshot' || m.type === 'change') {
          applied = this.o.receive(m.records, m.from);
          this.counts.recordsApplied += applied;
        } else if (m.type === 'ack') {
          return this.drop(socket, 'malformed', remote);
        }
        const reply: PeerMessage = { v: PROTOCOL_VERSION, from: this.o.node, to: m.from, ts: this.now(), nonce: newNonce(), seq: ++seq, type: 'ack', acks: m.seq, applied };
        socket.write(`${signFrame(this.o.secret, reply)}\n`);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.inbound.delete(socket);
      if (![...this.inbound].some((s) => s.remoteAddress?.replace(/^::ffff:/, '') === remote)) out.state.inbound = false;
    });
  }

  private drop(socket: Socket, reason: DropReason, from: string): void {
    this.dropped[reason]++;
    this.dropLog.record(reason, from);
    socket.destroy();
  }
}
