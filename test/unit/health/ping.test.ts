// The ping check's matching, with a fake socket: only a well-formed echo reply from the pinged
// address with our identifier, an outstanding sequence number and our data answers a probe;
// everything else is counted and dropped.
import { describe, expect, it } from 'vitest';
import { decodeEchoReply, encodeEchoRequest, internetChecksum } from '../../../src/health/checkers/icmp-echo.js';
import { type EchoSocket, Pinger } from '../../../src/health/checkers/ping.js';
import type { OnStop } from '../../../src/health/checkers/probe.js';

interface Sent {
  family: 4 | 6;
  message: Buffer;
  dst: string;
}

/** A pinger over fake sockets: what it sends is recorded, replies are injected with `answer`. */
function lab() {
  const sent: Sent[] = [];
  const receivers = new Map<4 | 6, (message: Buffer, src: string) => void>();
  let open = 0;
  let opened = 0;
  const pinger = new Pinger((family, _source, onMessage): EchoSocket => {
    receivers.set(family, onMessage);
    open++;
    opened++;
    return { send: (message, dst) => sent.push({ family, message, dst }), close: () => void open-- };
  });
  const deliver = (family: 4 | 6, message: Buffer, src: string): void => receivers.get(family)?.(message, src);
  /** The reply a well-behaved host sends to `request` (IPv4: checksum included). */
  const replyTo = (s: Sent, change: (m: Buffer) => void = () => undefined): Buffer => {
    const m = Buffer.from(s.message);
    m[0] = s.family === 4 ? 0 : 129;
    m.writeUInt16BE(0, 2);
    change(m);
    if (s.family === 4) m.writeUInt16BE(internetChecksum(m), 2);
    return m;
  };
  return { pinger, sent, deliver, replyTo, sockets: () => ({ open, opened }) };
}

/** An OnStop whose stop the test triggers. */
function stopper(): { onStop: OnStop; stop: (reason: string) => void } {
  let listener: ((reason: string) => void) | undefined;
  return { onStop: (l) => { listener = l; }, stop: (reason) => listener?.(reason) };
}

describe('ping matching', () => {
  it('answers a probe with its own reply, IPv4 and IPv6, and closes the socket when none is outstanding', async () => {
    const { pinger, sent, deliver, replyTo, sockets } = lab();
    const p4 = pinger.ping('198.18.1.11', undefined, stopper().onStop);
    const p6 = pinger.ping('2001:2::11', undefined, stopper().onStop);
    expect(sent.map((s) => [s.family, s.dst, s.message[0]])).toEqual([[4, '198.18.1.11', 8], [6, '2001:2::11', 128]]);
    expect(internetChecksum(sent[0]?.message ?? Buffer.alloc(0))).toBe(0);
    deliver(4, replyTo(sent[0] as Sent), '198.18.1.11');
    deliver(6, replyTo(sent[1] as Sent), '2001:0002:0000::11');
    expect(await p4).toEqual({ ok: true, reason: 'echo reply' });
    expect(await p6).toEqual({ ok: true, reason: 'echo reply' });
    expect(pinger.counters).toMatchObject({ sent: 2, replies: 2, malformed: 0, foreign: 0 });
    expect(sockets()).toEqual({ open: 0, opened: 2 });
  });

  it('counts and drops foreign and malformed replies, never answering a probe with them', async () => {
    const { pinger, sent, deliver, replyTo } = lab();
    const stop = stopper();
    const probe = pinger.ping('198.18.1.11', undefined, stop.onStop);
    const request = sent[0] as Sent;
    const foreign = [
      replyTo(request, (m) => m.writeUInt16BE((m.readUInt16BE(4) + 1) & 0xffff, 4)), // another identifier (ping(8))
      replyTo(request, (m) => m.writeUInt16BE((m.readUInt16BE(6) + 1) & 0xffff, 6)), // a sequence not outstanding
      replyTo(request, (m) => { m[m.length - 1] = (m[m.length - 1] ?? 0) ^ 0xff; }), // other data
    ];
    for (const m of foreign) deliver(4, m, '198.18.1.11');
    deliver(4, replyTo(request), '198.18.1.12'); // right ids, wrong sender
    const malformed = [
      Buffer.alloc(3),
      Buffer.from(request.message), // an echo request, not a reply
      (() => { const m = replyTo(request); m.writeUInt16BE(m.readUInt16BE(2) ^ 1, 2); return m; })(), // bad checksum
      (() => { const m = replyTo(request, (x) => { x[1] = 1; }); return m; })(), // code 1
    ];
    for (const m of malformed) deliver(4, m, '198.18.1.11');
    expect(pinger.counters).toMatchObject({ replies: 0, foreign: 4, malformed: 4 });
    stop.stop('timeout');
    expect(await probe).toEqual({ ok: false, reason: 'no echo reply (timeout)' });
    // A reply arriving after its probe timed out answers nothing.
    deliver(4, replyTo(request), '198.18.1.11');
    expect(pinger.counters).toMatchObject({ replies: 0 });
  });

  it('gives concurrent probes to one address their own sequence numbers', async () => {
    const { pinger, sent, deliver, replyTo } = lab();
    const stops = [stopper(), stopper(), stopper()];
    const probes = stops.map((s) => pinger.ping('198.18.1.11', undefined, s.onStop));
    expect(new Set(sent.map((s) => s.message.readUInt16BE(6))).size).toBe(3);
    deliver(4, replyTo(sent[1] as Sent), '198.18.1.11');
    stops[0]?.stop('timeout');
    stops[2]?.stop('aborted');
    expect(await Promise.all(probes)).toEqual([
      { ok: false, reason: 'no echo reply (timeout)' },
      { ok: true, reason: 'echo reply' },
      { ok: false, reason: 'aborted' },
    ]);
  });

  it('fails a probe whose socket cannot be opened or whose send fails, without throwing', async () => {
    const denied = new Pinger(() => { throw Object.assign(new Error('socket: Operation not permitted'), { code: 'EACCES' }); });
    expect(await denied.ping('198.18.1.11', undefined, stopper().onStop)).toEqual({ ok: false, reason: 'permission denied' });
    const unreachable = new Pinger(() => ({ send: () => { throw Object.assign(new Error('sendmsg'), { code: 'ENETUNREACH' }); }, close: () => undefined }));
    expect(await unreachable.ping('2001:2::11', undefined, stopper().onStop)).toEqual({ ok: false, reason: 'network unreachable' });
  });
});

describe('ICMP echo codec', () => {
  it('encodes RFC 792 / RFC 4443 echo requests and decodes replies', () => {
    const data = Buffer.from('lvsd');
    // Checksum by hand: 0x0800 + 0x1234 + 0x0001 + 0x6c76 + 0x7364 = 0xfa0f, complement 0x05f0.
    expect(encodeEchoRequest(4, { identifier: 0x1234, sequence: 1, data }).toString('hex')).toBe('080005f0123400016c767364');
    expect(encodeEchoRequest(6, { identifier: 0x1234, sequence: 1, data }).toString('hex')).toBe('80000000123400016c767364');
    expect(decodeEchoReply(6, Buffer.from('81000000123400026c767364', 'hex'))).toEqual({ identifier: 0x1234, sequence: 2, data });
    expect(decodeEchoReply(4, Buffer.from('00000000123400026c767364', 'hex'))).toEqual({ malformed: 'bad checksum' });
    expect(decodeEchoReply(6, Buffer.from('0300', 'hex'))).toEqual({ malformed: '2 bytes, shorter than an echo header' });
  });
});
