// A generic netlink socket that starts a dump behind its client's back, for tests of the kernel's
// one-dump-per-socket rule (af_netlink.c __netlink_dump_start answers EBUSY while one runs).
import type { RawNetlinkSocket } from 'netlink';
import type { DatagramSocket } from '../../../src/kernel/genl.js';

const NLM_F_DUMP = 0x300;

/**
 * A generic netlink socket that, once, sends a copy of the first dump request it is given just
 * before it, in the same datagram, under a sequence number the client never issued: a dump the
 * client does not know about is running when its own arrives (the kernel answers EBUSY).
 */
export function withStrayDump(sock: RawNetlinkSocket): DatagramSocket & { strays: number } {
  const wrapped = {
    strays: 0,
    send(msg: Uint8Array[], options: undefined, callback: (error?: Error) => void): void {
      const frames = msg.map((m) => Buffer.from(m));
      const at = wrapped.strays === 0 ? frames.findIndex((f) => (f.readUInt16LE(6) & NLM_F_DUMP) === NLM_F_DUMP) : -1;
      const dump = frames[at];
      if (dump) {
        const stray = Buffer.from(dump);
        stray.writeUInt32LE((dump.readUInt32LE(8) ^ 0x40000000) >>> 0, 8);
        frames.splice(at, 0, stray);
        wrapped.strays++;
      }
      sock.send(frames, options, callback);
    },
    on: ((event: 'message', listener: (msg: Buffer) => void) => sock.on(event, listener)) as DatagramSocket['on'],
    address: () => sock.address(),
    ref: () => sock.ref(),
    unref: () => sock.unref(),
    close: () => sock.close(),
  };
  return wrapped;
}
