// The peer protocol's messages and their JSON form. Pure: no sockets, no keys (auth.ts signs and
// checks the bytes this produces). Everything decoded is checked field by field: a message that
// passed the MAC still comes from a program, and a peer running another lvsd version may send
// what this one does not know; anything unexpected is "malformed", never half-applied.
//
// One TCP connection carries one direction of the sync: the node that connects sends `hello`,
// then a `snapshot` of every record it holds (tombstones too), then a `change` per local change
// and a `ping` every few seconds; the node that accepted answers each with an `ack`. Each node
// connects to the other, so a pair has two connections, and a node that was down catches up from
// the snapshot of the other's connection the moment it is back.
import type { ChangeRecord, RecordKind, RecordValue } from './types.js';

export const PROTOCOL_VERSION = 1;
/** Longest frame either side accepts: a snapshot of 100,000 records fits. */
export const MAX_FRAME_BYTES = 32 * 1024 * 1024;
/** Upper bounds of the strings a record carries (service names are 1-64 bytes in the config). */
const MAX_NAME = 255;
const MAX_RECORDS = 1_000_000;

export type PeerBody =
  | { type: 'hello' }
  | { type: 'snapshot'; records: ChangeRecord[] }
  | { type: 'change'; records: ChangeRecord[] }
  | { type: 'ping' }
  /** `acks`: the seq of the message acknowledged; `applied`: how many of its records won. */
  | { type: 'ack'; acks: number; applied: number };

/** What every message carries besides its body: who, to whom, when, and what makes it unique. */
export interface Envelope {
  v: typeof PROTOCOL_VERSION;
  from: string;
  to: string;
  /** Sender's clock, epoch ms: the receiver refuses messages outside its replay window. */
  ts: number;
  /** Random, hex: a second message with a nonce already seen is a replay. */
  nonce: string;
  /** Per connection, from 1: what an ack names. */
  seq: number;
}

export type PeerMessage = Envelope & PeerBody;

export function encodeMessage(m: PeerMessage): string {
  return JSON.stringify(m);
}

const KINDS = new Set<string>(['override', 'server']);
const VALUES: Record<RecordKind, ReadonlySet<string>> = {
  override: new Set(['drain', 'disable', 'enable', 'clear']),
  server: new Set(['add', 'remove', 'clear']),
};

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME && !/[\x00-\x1f\x7f]/.test(v);
const isCount = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;

/** A record as sent, or undefined when any field is off. */
export function decodeRecord(v: unknown): ChangeRecord | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.kind !== 'string' || !KINDS.has(o.kind)) return undefined;
  const kind = o.kind as RecordKind;
  if (!isName(o.service) || !isName(o.node) || !isCount(o.at)) return undefined;
  if (typeof o.value !== 'string' || !VALUES[kind].has(o.value)) return undefined;
  if (o.realServer !== undefined && !isName(o.realServer)) return undefined;
  if (kind === 'server' && o.realServer === undefined) return undefined;
  const value = o.value as RecordValue;
  if (value === 'add' ? !isCount(o.weight, 65535) : o.weight !== undefined) return undefined;
  const r: ChangeRecord = { kind, service: o.service, value, at: o.at, node: o.node };
  if (o.realServer !== undefined) r.realServer = o.realServer as string;
  if (value === 'add') r.weight = o.weight as number;
  return r;
}

function decodeRecords(v: unknown): ChangeRecord[] | undefined {
  if (!Array.isArray(v) || v.length > MAX_RECORDS) return undefined;
  const out: ChangeRecord[] = [];
  for (const item of v) {
    const r = decodeRecord(item);
    if (!r) return undefined;
    out.push(r);
  }
  return out;
}

function decodeBody(o: Record<string, unknown>): PeerBody | undefined {
  switch (o.type) {
    case 'hello':
    case 'ping':
      return { type: o.type };
    case 'snapshot':
    case 'change': {
      const records = decodeRecords(o.records);
      return records ? { type: o.type, records } : undefined;
    }
    case 'ack':
      return isCount(o.acks) && isCount(o.applied) ? { type: 'ack', acks: o.acks, applied: o.applied } : undefined;
    default:
      return undefined;
  }
}

/** The message in `text`, or undefined for bad JSON, another protocol version, or any field off. */
export function decodeMessage(text: string): PeerMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (o.v !== PROTOCOL_VERSION || !isName(o.from) || !isName(o.to) || !isCount(o.ts) || !isCount(o.seq)) return undefined;
  if (typeof o.nonce !== 'string' || !/^[0-9a-f]{16,64}$/.test(o.nonce)) return undefined;
  const body = decodeBody(o);
  if (!body) return undefined;
  return { v: PROTOCOL_VERSION, from: o.from, to: o.to, ts: o.ts, nonce: o.nonce, seq: o.seq, ...body };
}
