import { RawNetlinkSocket } from 'netlink';
import { describe, expect, it } from 'vitest';
import { parseAttrs, read, u16, u32 } from '../../../src/kernel/attrs.js';
import { NetlinkErrnoError, NetlinkSocketError, toKernelError } from '../../../src/kernel/errors.js';
import { GenlSocket } from '../../../src/kernel/genl.js';
import { FakeKernel } from './fake-kernel.js';
import { withStrayDump } from './genl-stray-dump.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('GenlSocket', () => {
  it('batches one tick into one datagram whose last request alone asks for the ACK that settles the others', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k });
    const replies = [1, 2, 3].map((n) => s.request(30, 5, 1, [u32(1, n)]));
    await tick();
    expect(k.datagrams).toHaveLength(1);
    expect(k.datagrams[0]).toHaveLength(3);
    const [a, b, c] = k.datagrams[0] ?? [];
    if (!a || !b || !c) throw new Error('three requests expected');
    expect([a.flags, b.flags, c.flags]).toEqual([0x1, 0x1, 0x5]); // NLM_F_REQUEST, and NLM_F_ACK on the last
    // What the kernel sends, in processing order: a's data, b's error (sent unasked), c's data and ACK.
    k.part(a, [[u32(9, 100)]]);
    k.reply(b, [], { errno: 17 });
    k.reply(c, [[u32(9, 300)]], { errno: 0 });
    const [pa, pb, pc] = replies;
    expect(read.u32((await pa)?.[0]?.attrs.get(9), 'x')).toBe(100);
    expect(read.u32((await pc)?.[0]?.attrs.get(9), 'x')).toBe(300);
    const err: unknown = await pb?.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkErrnoError);
    expect((err as NetlinkErrnoError).errno).toBe(17);
    expect(toKernelError(err, 'add service tcp 198.18.0.1:80').message).toBe('add service tcp 198.18.0.1:80: already exists (EEXIST)');
    s.close();
  });

  it('an error reply to the ACKed request still settles the others of its datagram as done', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k });
    const [first, last] = [1, 2].map((n) => s.request(30, 5, 1, [u32(1, n)]));
    await tick();
    const q = k.datagrams[0]?.[1];
    if (!q) throw new Error('two requests expected');
    k.reply(q, [], { errno: 2 });
    await expect(first).resolves.toEqual([]);
    await expect(last).rejects.toBeInstanceOf(NetlinkErrnoError);
    s.close();
  });

  it('keeps at most `window` requests in flight and sends the rest as replies arrive', async () => {
    const k = new FakeKernel();
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout');
    const s = new GenlSocket({ socket: k, window: 4 });
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => s.request(30, 1, 1, [u32(1, i)])));
    await tick();
    for (let round = 0; round < 10 && k.unanswered.length > 0; round++) {
      await tick();
      expect(k.unanswered.length).toBeLessThanOrEqual(4);
      for (const req of [...k.unanswered]) k.reply(req, [], { errno: 0 });
      await tick();
    }
    await all;
    // Idle again: no timer of ours may keep the process alive (one of the test runner's may have ended meanwhile).
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore.length);
    const seqs = k.datagrams.flat().map((r) => parseAttrs(r.attrs).get(1)?.readUInt32LE(0));
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // sent in call order
    s.close();
  });

  it('runs one dump at a time and collects its multipart reply until DONE', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k });
    const first = s.dump(30, 4, 1);
    const second = s.dump(30, 8, 1);
    await tick();
    expect(k.unanswered.map((r) => r.cmd)).toEqual([4]);
    const d1 = k.unanswered[0];
    if (!d1) throw new Error('dump expected');
    expect(d1.flags).toBe(0x301); // NLM_F_REQUEST | NLM_F_DUMP
    k.reply(d1, [[u16(1, 1)], [u16(1, 2)]], 'done');
    expect((await first).map((m) => read.u16(m.attrs.get(1), 'x'))).toEqual([1, 2]);
    await tick();
    expect(k.unanswered.map((r) => r.cmd)).toEqual([8]);
    const d2 = k.unanswered[0];
    if (!d2) throw new Error('dump expected');
    k.reply(d2, [], 'done');
    expect(await second).toEqual([]);
    s.close();
  });

  it('resolves a family through nlctrl, and reports a missing one as undefined', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k });
    const ipvs = s.resolveFamily('IPVS');
    const none = s.resolveFamily('NOPE');
    await tick();
    const [q1, q2] = k.unanswered;
    if (!q1 || !q2) throw new Error('two requests expected');
    expect(q1.type).toBe(0x10);
    expect(read.str(parseAttrs(q1.attrs).get(2), 'name')).toBe('IPVS');
    k.reply(q1, [[u16(1, 0x1c), u32(3, 1), u32(5, 3)]], { errno: 0 });
    k.reply(q2, [], { errno: 2 });
    expect(await ipvs).toEqual({ name: 'IPVS', id: 0x1c, version: 1, maxAttr: 3 });
    expect(await none).toBeUndefined();
    s.close();
  });

  it('a request issued while a long dump runs is sent and answered before the dump ends', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k });
    const table = s.dump(30, 4, 1);
    const more = s.dump(30, 8, 1); // a full read queues thousands of these
    await tick();
    const d1 = k.unanswered[0];
    if (!d1) throw new Error('dump expected');
    k.part(d1, [[u16(1, 1)]]); // the dump is under way
    let dumpDone = false;
    void table.then(() => (dumpDone = true));
    const write = s.request(30, 6, 1, [u32(4, 77)]);
    await tick();
    const w = k.unanswered.find((r) => r.cmd === 6);
    if (!w) throw new Error('the write waited for the dump');
    k.reply(w, [], { errno: 0 });
    await write;
    expect(dumpDone).toBe(false);
    k.reply(d1, [[u16(1, 2)]], 'done');
    expect((await table).map((m) => read.u16(m.attrs.get(1), 'x'))).toEqual([1, 2]);
    await tick();
    const d2 = k.unanswered.find((r) => r.cmd === 8);
    if (!d2) throw new Error('second dump expected');
    k.reply(d2, [], 'done');
    await more;
    s.close();
  });

  it('on a socket error (ENOBUFS) fails the requests in flight, sends the queued ones, and survives', async () => {
    const k = new FakeKernel();
    const seen: string[] = [];
    const s = new GenlSocket({ socket: k, window: 1, onSocketError: (e) => seen.push(e.code) });
    const p1 = s.request(30, 1, 1, []);
    const p2 = s.request(30, 1, 1, []);
    await tick();
    k.emit('error', Object.assign(new Error('recvmsg: No buffer space available'), { code: 'ENOBUFS', errno: 105 }));
    const err: unknown = await p1.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkSocketError);
    expect((err as Error).message).toMatch(/ENOBUFS/);
    expect(seen).toEqual(['ENOBUFS']);
    await tick();
    const q2 = k.unanswered.at(-1);
    if (!q2) throw new Error('the queued request was not sent');
    k.reply(q2, [], { errno: 0 });
    await expect(p2).resolves.toEqual([]);
    s.close();
    await expect(s.request(30, 1, 1, [])).rejects.toThrow(/closed/);
  });

  it('after a socket error fails a dump, the next dump waits for the abandoned one to end in the kernel', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k });
    const first = s.dump(30, 4, 1);
    await tick();
    const d1 = k.unanswered[0];
    if (!d1) throw new Error('dump expected');
    k.emit('error', Object.assign(new Error('recvmsg'), { code: 'ENOBUFS' }));
    await expect(first).rejects.toBeInstanceOf(NetlinkSocketError);
    const retry = s.dump(30, 4, 1); // the caller retries at once
    await tick();
    expect(k.unanswered.filter((r) => r.cmd === 4 && r.seq !== d1.seq)).toEqual([]); // EBUSY otherwise
    k.reply(d1, [[u16(1, 1)]], 'done'); // the kernel finishes the old dump; its parts are ignored
    await tick();
    const d2 = k.unanswered.find((r) => r.cmd === 4 && r.seq !== d1.seq);
    if (!d2) throw new Error('the retried dump was not sent');
    k.reply(d2, [[u16(1, 5)]], 'done');
    expect((await retry).map((m) => read.u16(m.attrs.get(1), 'x'))).toEqual([5]);
    s.close();
  });

  it('a dump answered with an ENOBUFS error is not over: its whole reply follows under its sequence number, and no other dump goes meanwhile', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k });
    const first = s.dump(30, 4, 1);
    const second = s.dump(30, 8, 1);
    await tick();
    const d1 = k.unanswered[0];
    if (!d1) throw new Error('dump expected');
    // __netlink_dump_start: the first netlink_dump found the receive buffer full; cb_running stays set.
    k.emit('message', errorReply(d1, 105));
    await tick();
    expect(k.unanswered.filter((r) => r.cmd === 8)).toEqual([]); // EBUSY otherwise
    k.reply(d1, [[u16(1, 1)], [u16(1, 2)]], 'done'); // the kernel resumes on our next receive
    expect((await first).map((m) => read.u16(m.attrs.get(1), 'x'))).toEqual([1, 2]);
    await tick();
    const d2 = k.unanswered.find((r) => r.cmd === 8);
    if (!d2) throw new Error('the second dump was not sent');
    k.reply(d2, [], 'done');
    await expect(second).resolves.toEqual([]);
    s.close();
  });

  it('a dump answered EBUSY waits for the dump still running on the socket to end and goes again; its caller never sees EBUSY', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k });
    const dump = s.dump(30, 4, 1);
    const write = s.request(30, 6, 1, []);
    await tick();
    const d1 = k.unanswered.find((r) => r.cmd === 4);
    const w = k.unanswered.find((r) => r.cmd === 6);
    if (!d1 || !w) throw new Error('a dump and a write expected');
    k.reply(d1, [], { errno: 16 }); // an earlier dump of this socket, one we lost track of, still runs
    k.reply(w, [], { errno: 0 }); // requests are not held back meanwhile
    await write;
    await tick();
    expect(k.unanswered).toEqual([]); // not sent again while the other dump runs
    const orphanDone = Buffer.alloc(20);
    orphanDone.writeUInt32LE(20, 0);
    orphanDone.writeUInt16LE(3, 4); // NLMSG_DONE of a sequence number no caller waits for
    orphanDone.writeUInt32LE(d1.seq - 7, 8);
    k.emit('message', orphanDone);
    await tick();
    const again = k.unanswered.find((r) => r.cmd === 4);
    if (!again) throw new Error('the refused dump was not sent again');
    expect(again.seq).not.toBe(d1.seq);
    k.reply(again, [[u16(1, 3)]], 'done');
    expect((await dump).map((m) => read.u16(m.attrs.get(1), 'x'))).toEqual([3]);
    s.close();
  });

  it('a dump that timed out is waited for: the next dump goes after its DONE, not into EBUSY', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k, timeoutMs: 20 });
    const first = s.dump(30, 4, 1);
    await tick();
    const d1 = k.unanswered[0];
    if (!d1) throw new Error('dump expected');
    await expect(first).rejects.toThrow(/timed out/);
    const next = s.dump(30, 8, 1);
    await tick();
    expect(k.unanswered.filter((r) => r.cmd === 8)).toEqual([]);
    k.reply(d1, [[u16(1, 1)]], 'done'); // the timed-out dump ends in the kernel; its parts are ignored
    await tick();
    const d2 = k.unanswered.find((r) => r.cmd === 8);
    if (!d2) throw new Error('the next dump was not sent');
    k.reply(d2, [], 'done');
    await expect(next).resolves.toEqual([]);
    s.close();
  });

  it('a dump refused with EBUSY for its whole timeout fails with EBUSY', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k, timeoutMs: 20 });
    const dump = s.dump(30, 4, 1);
    const refusing = setInterval(() => {
      for (const r of k.unanswered.filter((q) => q.cmd === 4)) k.reply(r, [], { errno: 16 });
    }, 2);
    try {
      const err: unknown = await dump.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetlinkErrnoError);
      expect((err as NetlinkErrnoError).errno).toBe(16);
      expect(k.datagrams.flat().filter((r) => r.cmd === 4).length).toBeGreaterThan(1);
    } finally {
      clearInterval(refusing);
      s.close();
    }
  });

  it('fails a request whose reply is malformed instead of throwing out of the socket callback', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k });
    const p = s.request(30, 1, 1, []);
    await tick();
    const q = k.unanswered[0];
    if (!q) throw new Error('request expected');
    const bad = Buffer.alloc(8);
    bad.writeUInt16LE(64, 0); // an attribute claiming more bytes than the message has
    expect(() => k.reply(q, [[bad]], { errno: 0 })).not.toThrow();
    await expect(p).rejects.toThrow(/malformed netlink attribute/);
    s.close();
  });

  it('times out a request the kernel never answers', async () => {
    const k = new FakeKernel();
    const s = new GenlSocket({ socket: k, timeoutMs: 20 });
    await expect(s.request(30, 1, 1, [])).rejects.toThrow(/timed out/);
    s.close();
  });
});

describe('GenlSocket on the host kernel', () => {
  it('a dump the kernel refuses with EBUSY (another still runs on the socket) waits for that one to end and succeeds', async () => {
    const sock = withStrayDump(new RawNetlinkSocket(16, { recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 }));
    const s = new GenlSocket({ socket: sock, timeoutMs: 5000 });
    try {
      // nlctrl's family list: like IPVS, its DONE comes only on a receive after its last part.
      const families = await s.dump(0x10, 3, 1);
      expect(sock.strays).toBe(1);
      expect(families.map((m) => read.str(m.attrs.get(2), 'name'))).toContain('nlctrl');
    } finally {
      s.close();
    }
  });
});

/** An error reply (NLMSG_ERROR) to `req` with this errno, carrying only the request's header (NETLINK_CAP_ACK). */
function errorReply(req: { type: number; seq: number }, errno: number): Buffer {
  const b = Buffer.alloc(36);
  b.writeUInt32LE(36, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt32LE(req.seq, 8);
  b.writeInt32LE(-errno, 16);
  b.writeUInt16LE(req.type, 24);
  return b;
}
