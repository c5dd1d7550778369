// Authentication of the peer protocol: each frame is one line, `<mac> <message>`, where mac is
// HMAC-SHA256 (RFC 2104) of the message's exact bytes under the pair's shared secret, in hex.
// The MAC is checked before the message is even parsed, in constant time, so bytes from anyone
// without the secret are counted and dropped at the cheapest point.
//
// A valid MAC alone does not stop a replay (a captured `drain` sent again after the operator's
// `enable`), so a frame must also be fresh: its timestamp within `windowMs` of our clock and its
// nonce not seen within that window. A nonce is remembered only as long as its timestamp would
// pass, which bounds the memory by the message rate. The frame must also name us as `to` (the
// listening end by its address:port, the connecting end by its node name) and come from another
// node: a frame meant for another listener, or our own reflected back, is not ours to obey.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeMessage, encodeMessage, type PeerMessage } from './codec.js';

/** Why a frame was dropped; each has its own counter. */
export type DropReason = 'malformed' | 'forged' | 'replayed' | 'stale' | 'misdirected';

export type FrameVerdict = { ok: true; message: PeerMessage } | { ok: false; reason: DropReason };

const MAC_HEX = 64;

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload, 'utf8').digest();
}

/** A fresh nonce: 128 random bits. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** The frame of `m` (without the newline). */
export function signFrame(secret: string, m: PeerMessage): string {
  const payload = encodeMessage(m);
  return `${mac(secret, payload).toString('hex')} ${payload}`;
}

/** Nonces seen in the last window; refuses a second sight and anything outside the window. */
export class ReplayGuard {
  /** nonce -> the time after which the timestamp check alone refuses it. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    /** Safety bound on remembered nonces; past it new frames are refused as replays. */
    private readonly maxNonces = 100_000,
  ) {}

  check(ts: number, nonce: string, now: number): 'ok' | 'stale' | 'replayed' {
    if (Math.abs(now - ts) > this.windowMs) return 'stale';
    this.expire(now);
    if (this.seen.has(nonce) || this.seen.size >= this.maxNonces) return 'replayed';
    this.seen.set(nonce, ts + this.windowMs);
    return 'ok';
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(now: number): void {
    // Insertion order is nearly time order; stop at the first one still live.
    for (const [nonce, until] of this.seen) {
      if (until >= now) break;
      this.seen.delete(nonce);
    }
  }
}

export interface FrameCheckerOptions {
  secret: string;
  /** What frames to us carry as `to`. */
  self: string;
  /** This node's name: refused as a sender (our own frames reflected back). */
  node: string;
  guard: ReplayGuard;
  now?: () => number;
}

/** Checks one received line: MAC, then shape, then addressing, then freshness. */
export function checkFrame(line: string, o: FrameCheckerOptions): FrameVerdict {
  const space = line.indexOf(' ');
  if (space !== MAC_HEX || !/^[0-9a-f]{64}$/.test(line.slice(0, MAC_HEX))) return { ok: false, reason: 'malformed' };
  const payload = line.slice(MAC_HEX + 1);
  const expected = mac(o.secret, payload);
  if (!timingSafeEqual(Buffer.from(line.slice(0, MAC_HEX), 'hex'), expected)) return { ok: false, reason: 'forged' };
  const message = decodeMessage(payload);
  if (!message) return { ok: false, reason: 'malformed' };
  if (message.to !== o.self || message.from === o.node) return { ok: false, reason: 'misdirected' };
  const fresh = o.guard.check(message.ts, message.nonce, (o.now ?? Date.now)());
  if (fresh !== 'ok') return { ok: false, reason: fresh };
  return { ok: true, message };
}
