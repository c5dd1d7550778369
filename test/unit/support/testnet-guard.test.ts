// The unit suite's guard against test traffic leaving the machine (test/support/testnet-guard.ts):
// TCP and UDP to 198.18.0.0/15 and 2001:2::/48 from the test process are refused and recorded
// (a test that does it fails afterwards); loopback and other addresses are untouched.
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { inTestNet } from '../../support/test-net.js';
import { takeAttempts } from '../../support/testnet-guard.js';

const connectError = (host: string, port: number): Promise<NodeJS.ErrnoException | undefined> =>
  new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.on('error', (err) => resolve(err));
    s.on('connect', () => {
      s.destroy();
      resolve(undefined);
    });
  });

describe('test-net guard', () => {
  it('knows the ranges, IPv4-mapped and bracketed forms included', () => {
    for (const a of ['198.18.0.1', '198.19.255.254', '2001:2::1', '2001:2:0:ffff::1', '[2001:2::53]', '::ffff:198.18.1.11']) expect(inTestNet(a), a).toBe(true);
    // Only loopback and names outside: tests name no other address, even as a string.
    for (const a of ['127.0.0.1', '::1', 'localhost', 'lab.test']) expect(inTestNet(a), a).toBe(false);
  });

  it('refuses a TCP connect to 198.18.1.11 (and one through net.connect(port, host)) with EHOSTUNREACH and records it', async () => {
    expect((await connectError('198.18.1.11', 80))?.code).toBe('EHOSTUNREACH');
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => net.connect(443, '2001:2::10').on('error', resolve));
    expect(err.code).toBe('EHOSTUNREACH');
    expect(takeAttempts()).toEqual(['TCP connect to 198.18.1.11 port 80', 'TCP connect to 2001:2::10 port 443']);
  });

  it('refuses a UDP send to 2001:2::53 and records it', async () => {
    const socket = dgram.createSocket('udp6');
    const err = await new Promise<Error | null>((resolve) => socket.send('x', 53, '2001:2::53', resolve));
    socket.close();
    expect((err as NodeJS.ErrnoException | null)?.code).toBe('EHOSTUNREACH');
    expect(takeAttempts()).toEqual(['UDP send to 2001:2::53 port 53']);
  });

  it('leaves loopback alone', async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    expect(await connectError('127.0.0.1', port)).toBeUndefined();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(takeAttempts()).toEqual([]);
  });
});
