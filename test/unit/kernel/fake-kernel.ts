// A fake kernel behind genl.ts's DatagramSocket, for unit tests of the transport and of clients
// built on it: it records every datagram and answers only when the test says so.
import { EventEmitter } from 'node:events';
import { genlFrame, type DatagramSocket } from '../../../src/kernel/genl.js';

export interface Received {
  type: number;
  flags: number;
  seq: number;
  cmd: number;
  attrs: Buffer;
}

export class FakeKernel extends EventEmitter implements DatagramSocket {
  readonly datagrams: Received[][] = [];
  readonly unanswered: Received[] = [];
  send(msg: Uint8Array[], _o: undefined, cb: (error?: Error) => void): void {
    const got: Received[] = [];
    for (const m of msg) {
      const b = Buffer.from(m);
      got.push({ type: b.readUInt16LE(4), flags: b.readUInt16LE(6), seq: b.readUInt32LE(8), cmd: b.readUInt8(16), attrs: b.subarray(20) });
    }
    this.datagrams.push(got);
    this.unanswered.push(...got);
    cb();
  }
  address() { return { port: 4242 }; }
  ref() {}
  unref() {}
  close() {}
  /** Sends part of a multipart (dump) reply to `req`, leaving it unanswered. */
  part(req: Received, data: Buffer[][]) {
    this.emit('message', Buffer.concat(data.map((attrs) => genlFrame(req.type, 0x2, req.seq, 4242, req.cmd, 1, attrs))));
  }

  /** Answers `req` with data messages (cmd, attrs) and then an ACK, ERROR or DONE. */
  reply(req: Received, data: Buffer[][], end: { errno: number } | 'done') {
    const i = this.unanswered.indexOf(req);
    if (i >= 0) this.unanswered.splice(i, 1);
    const frames = data.map((attrs) => genlFrame(req.type, 0x2, req.seq, 4242, req.cmd, 1, attrs));
    const tail = Buffer.alloc(end === 'done' ? 20 : 36);
    tail.writeUInt32LE(tail.length, 0);
    tail.writeUInt16LE(end === 'done' ? 3 : 2, 4);
    tail.writeUInt32LE(req.seq, 8);
    tail.writeInt32LE(end === 'done' ? 0 : -end.errno, 16);
    this.emit('message', Buffer.concat([...frames, tail]));
  }
}

