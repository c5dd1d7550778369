// RtSocket on a real (unprivileged) rtnetlink socket: an error reported on the underlying socket
// object fails the requests in flight at once, is passed to the owner, and the socket keeps working.
import { describe, expect, it } from 'vitest';
import { NetlinkSocketError } from '../../../src/kernel/errors.js';
import { RtSocket } from '../../../src/kernel/rt-socket.js';

describe('RtSocket', () => {
  it('survives an ENOBUFS error event: requests in flight fail, later ones succeed', async () => {
    const seen: NetlinkSocketError[] = [];
    const s = new RtSocket({ onError: (e) => seen.push(e) });
    try {
      const inFlight = s.request(() => s.rt.getLinks());
      s.rt.socket.emit('error', Object.assign(new Error('recvmsg: No buffer space available'), { name: 'ErrnoException' as const, code: 'ENOBUFS', errno: 105, syscall: 'recvmsg' }));
      const err: unknown = await inFlight.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetlinkSocketError);
      expect(seen.map((e) => [e.code, e.failedRequests])).toEqual([['ENOBUFS', 1]]);
      const links = await s.request(() => s.rt.getLinks());
      expect(links.length).toBeGreaterThan(0);
      expect(s.drops()).toBe(0);
    } finally {
      s.close();
    }
  });
});
