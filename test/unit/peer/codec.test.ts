// The peer protocol's messages: what encodes decodes to itself, and anything off is refused whole.
import { describe, expect, it } from 'vitest';
import { decodeMessage, decodeRecord, encodeMessage, type PeerMessage } from '../../../src/peer/codec.js';

const envelope = { v: 1 as const, from: 'lb1', to: '198.18.0.2:9811', ts: 1_700_000_000_000, nonce: '00112233445566778899aabbccddeeff', seq: 3 };
const records = [
  { kind: 'override' as const, service: 'web', realServer: '198.18.1.11:80', value: 'drain' as const, at: 5, node: 'lb1' },
  { kind: 'override' as const, service: 'web', value: 'clear' as const, at: 6, node: 'lb2' },
  { kind: 'server' as const, service: 'web', realServer: '[2001:2::13]:80', value: 'add' as const, weight: 7, at: 7, node: 'lb1' },
];

describe('peer codec', () => {
  it('round-trips every message type', () => {
    const messages: PeerMessage[] = [
      { ...envelope, type: 'hello' },
      { ...envelope, type: 'snapshot', records },
      { ...envelope, type: 'change', records: records.slice(0, 1) },
      { ...envelope, type: 'ping' },
      { ...envelope, type: 'ack', acks: 2, applied: 1 },
    ];
    for (const m of messages) expect(decodeMessage(encodeMessage(m))).toEqual(m);
  });

  it('refuses malformed input without throwing', () => {
    const good = { ...envelope, type: 'change', records };
    const bad: unknown[] = [
      'not json',
      '[]',
      'null',
      '{}',
      { ...good, v: 2 },
      { ...good, from: '' },
      { ...good, to: 'x\n' },
      { ...good, ts: -1 },
      { ...good, ts: 1.5 },
      { ...good, nonce: 'XYZ' },
      { ...good, seq: '1' },
      { ...good, type: 'obey' },
      { ...good, records: 'all' },
      { ...good, records: [{ ...records[0], value: 'pause' }] },
      { ...good, records: [{ ...records[0], kind: 'service' }] },
      { ...good, records: [{ ...records[2], weight: 70_000 }] },
      { ...good, records: [{ ...records[2], weight: undefined }] },
      { ...good, records: [{ ...records[0], weight: 3 }] },
      { ...good, records: [{ ...records[2], realServer: undefined }] },
      { ...good, records: [{ ...records[0], service: 'a'.repeat(300) }] },
      { ...envelope, type: 'ack', acks: -1, applied: 0 },
    ];
    for (const b of bad) expect(decodeMessage(typeof b === 'string' ? b : JSON.stringify(b)), JSON.stringify(b)).toBeUndefined();
    expect(decodeRecord(null)).toBeUndefined();
  });

  it('keeps only known fields of a record (a newer peer may send more)', () => {
    expect(decodeRecord({ ...records[0], extra: 'x' })).toEqual(records[0]);
  });
});
