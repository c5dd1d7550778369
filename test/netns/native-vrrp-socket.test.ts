// The VRRP raw sockets on the host kernel: two namespaces on a veth pair, a three-member bridge,
// and a routed path (to see a TTL below 255). Every packet uses protocol 112 and addresses from
// 198.18.0.0/15, 2001:2::/48 or link-local.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DatagramInfo } from '../../src/net/datagram.js';
import { VrrpSocket, type VrrpSocketOptions } from '../../src/kernel/vrrp-socket.js';
import { KernelError } from '../../src/kernel/errors.js';
import { describeWith } from '../support/needs.js';
import { lan, NetnsLab, veth, waitFor, type Netns } from '../support/netns.mjs';
import { inNetns } from '../../src/kernel/native.js';

interface Received {
  payload: Buffer;
  info: DatagramInfo;
}

/** Collects what a socket receives; `next` waits (bounded) for the next packet. */
class Inbox {
  readonly packets: Received[] = [];
  private waiter: (() => void) | undefined;

  readonly handler = (payload: Buffer, info: DatagramInfo): void => {
    this.packets.push({ payload, info });
    this.waiter?.();
  };

  async next(timeoutMs = 2_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    while (this.packets.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no packet within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.packets.shift() as Received;
  }

  /** Waits `ms` and asserts nothing arrived. */
  async expectSilence(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    expect(this.packets).toEqual([]);
  }
}

const advert = (tag: number): Buffer => Buffer.from([0x31, tag & 0xff, 100, 1, 0, 100, 0xab, 0xcd, 198, 18, 0, 100]);

function open(ns: Netns, opts: VrrpSocketOptions, inbox: Inbox, sockets: VrrpSocket[]): VrrpSocket {
  const s = inNetns(ns.path, () => VrrpSocket.open(opts, inbox.handler));
  sockets.push(s);
  return s;
}

describeWith(['root', 'netns'], 'VRRP raw sockets over veth', () => {
  const lab = new NetnsLab('native');
  const sockets: VrrpSocket[] = [];
  let a: Netns;
  let b: Netns;
  let aLinkLocal: string;
  let bLinkLocal: string;

  beforeAll(() => {
    [a, b] = lab.pair(1, { ipv6: true });
    aLinkLocal = a.linkLocal('eth0') ?? '';
    bLinkLocal = b.linkLocal('eth0') ?? '';
    expect(aLinkLocal).toMatch(/^fe80:/);
    expect(bLinkLocal).toMatch(/^fe80:/);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await lab.cleanup();
  });

  it('IPv4 multicast: 224.0.0.18 arrives with the sender as source, TTL 255 and the arrival ifindex', async () => {
    const inA = new Inbox();
    const inB = new Inbox();
    const sa = open(a, { family: 4, ifname: 'eth0', source: '198.18.1.1', multicast: true }, inA, sockets);
    const sb = open(b, { family: 4, ifname: 'eth0', source: '198.18.1.2', multicast: true }, inB, sockets);
    sa.send(advert(1), '224.0.0.18');
    const got = await inB.next();
    expect(got.payload).toEqual(advert(1));
    expect(got.info).toEqual({ family: 4, src: '198.18.1.1', dst: '224.0.0.18', ttl: 255, ifindex: b.link('eth0').ifindex });
    expect(sb.ifindex).toBe(b.link('eth0').ifindex);
    // IP_MULTICAST_LOOP is off: the sender never hears itself.
    await inA.expectSilence(200);
    expect(sa.counters).toEqual({ received: 0, sent: 1, malformed: 0, sendErrors: 0 });
    expect(sb.counters.received).toBe(1);
    sa.close();
    sb.close();
  });

  it('IPv4 unicast to a peer address', async () => {
    const inB = new Inbox();
    const sa = open(a, { family: 4, ifname: 'eth0', source: '198.18.1.1', multicast: false }, new Inbox(), sockets);
    const sb = open(b, { family: 4, ifname: 'eth0', source: '198.18.1.2', multicast: false }, inB, sockets);
    sa.send(advert(2), '198.18.1.2');
    const got = await inB.next();
    expect(got.payload).toEqual(advert(2));
    expect(got.info).toEqual({ family: 4, src: '198.18.1.1', dst: '198.18.1.2', ttl: 255, ifindex: b.link('eth0').ifindex });
    sa.close();
    sb.close();
  });

  it('IPv6 multicast: ff02::12 from the link-local source with hop limit 255', async () => {
    const inB = new Inbox();
    const sa = open(a, { family: 6, ifname: 'eth0', source: aLinkLocal, multicast: true }, new Inbox(), sockets);
    const sb = open(b, { family: 6, ifname: 'eth0', source: bLinkLocal, multicast: true }, inB, sockets);
    sa.send(advert(3), 'ff02::12');
    const got = await inB.next();
    expect(got.payload).toEqual(advert(3));
    expect(got.info).toEqual({ family: 6, src: aLinkLocal, dst: 'ff02::12', ttl: 255, ifindex: b.link('eth0').ifindex });
    sa.close();
    sb.close();
  });

  it('IPv6 unicast to a link-local peer and to a global peer', async () => {
    const inB = new Inbox();
    const sa = open(a, { family: 6, ifname: 'eth0', source: aLinkLocal, multicast: false }, new Inbox(), sockets);
    const sb = open(b, { family: 6, ifname: 'eth0', source: bLinkLocal, multicast: false }, inB, sockets);
    sa.send(advert(4), bLinkLocal);
    sa.send(advert(5), '2001:2:0:1::2');
    const first = await inB.next();
    const second = await inB.next();
    expect(first.info).toEqual({ family: 6, src: aLinkLocal, dst: bLinkLocal, ttl: 255, ifindex: b.link('eth0').ifindex });
    expect(second.payload).toEqual(advert(5));
    expect(second.info.dst).toBe('2001:2:0:1::2');
    expect(second.info.src).toBe(aLinkLocal);
    sa.close();
    sb.close();
  });

  it('a datagram with no VRRP payload is counted as malformed and never reaches the handler', async () => {
    const inB = new Inbox();
    const sa = open(a, { family: 4, ifname: 'eth0', source: '198.18.1.1', multicast: false }, new Inbox(), sockets);
    const sb = open(b, { family: 4, ifname: 'eth0', source: '198.18.1.2', multicast: false }, inB, sockets);
    sa.send(Buffer.alloc(0), '198.18.1.2');
    sa.send(advert(6), '198.18.1.2');
    const got = await inB.next();
    expect(got.payload).toEqual(advert(6));
    expect(sb.counters).toMatchObject({ received: 1, malformed: 1 });
    sa.close();
    sb.close();

    const inB6 = new Inbox();
    const sa6 = open(a, { family: 6, ifname: 'eth0', source: aLinkLocal, multicast: true }, new Inbox(), sockets);
    const sb6 = open(b, { family: 6, ifname: 'eth0', source: bLinkLocal, multicast: true }, inB6, sockets);
    sa6.send(Buffer.alloc(0), 'ff02::12');
    sa6.send(advert(6), 'ff02::12');
    expect((await inB6.next()).payload).toEqual(advert(6));
    expect(sb6.counters).toMatchObject({ received: 1, malformed: 1 });
    sa6.close();
    sb6.close();
  });

  it('closing from inside the callback stops delivery at once, and close is idempotent', async () => {
    let calls = 0;
    const sa = open(a, { family: 4, ifname: 'eth0', source: '198.18.1.1', multicast: true }, new Inbox(), sockets);
    const sb = inNetns(b.path, () =>
      VrrpSocket.open({ family: 4, ifname: 'eth0', source: '198.18.1.2', multicast: true }, () => {
        calls++;
        sb.close();
        sb.close();
      }),
    );
    sockets.push(sb);
    // Ten datagrams queue up before the receiver's poll fires, so the close happens mid-drain.
    for (let i = 0; i < 10; i++) sa.send(advert(i), '224.0.0.18');
    await waitFor('the first packet', () => calls > 0);
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(1);
    expect(() => sb.send(advert(0), '224.0.0.18')).toThrow(/closed/);
    sa.close();
  });

  it('errors name the syscall and the errno', () => {
    expect(() => inNetns(a.path, () => VrrpSocket.open({ family: 4, ifname: 'nosuch0', source: '198.18.1.1', multicast: true }, () => undefined))).toThrow(
      /VRRP IPv4 socket on nosuch0: if_nametoindex\(nosuch0\): ENODEV/,
    );
    // A source address that is not ours: the kernel refuses to route from it (EINVAL on older
    // kernels, ENETUNREACH on recent ones).
    const sa = open(a, { family: 4, ifname: 'eth0', source: '198.18.1.99', multicast: false }, new Inbox(), sockets);
    let caught: unknown;
    try {
      sa.send(advert(7), '198.18.1.2');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KernelError);
    expect((caught as KernelError).message).toMatch(/^VRRP IPv4 socket on eth0: sendmsg\(to 198\.18\.1\.2\): (EINVAL|ENETUNREACH) \(.+\)$/);
    expect((caught as KernelError).code).toMatch(/^(EINVAL|ENETUNREACH)$/);
    expect((caught as KernelError).operation).toBe('sendmsg(to 198.18.1.2)');
    expect(sa.counters.sendErrors).toBe(1);
    sa.close();
  });
});

describeWith(['root', 'netns'], 'VRRP raw sockets on a bridge and across a router', () => {
  const lab = new NetnsLab('native');
  const sockets: VrrpSocket[] = [];

  afterAll(async () => {
    for (const s of sockets) s.close();
    await lab.cleanup();
  });

  it('three members on a bridge: IPv4 and IPv6 multicast reach both peers; a unicast-only socket does not see it', async () => {
    const sw = lab.ns('sw');
    const [m1, m2, m3] = [lab.ns('m1'), lab.ns('m2'), lab.ns('m3')];
    lan(sw, [
      { ns: m1, ifname: 'eth0' },
      { ns: m2, ifname: 'eth0' },
      { ns: m3, ifname: 'eth0' },
    ]);
    m1.addr('eth0', '198.18.2.1/24');
    m2.addr('eth0', '198.18.2.2/24');
    m3.addr('eth0', '198.18.2.3/24');
    const in2 = new Inbox();
    const in3 = new Inbox();
    const in3Unicast = new Inbox();
    const s1 = open(m1, { family: 4, ifname: 'eth0', source: '198.18.2.1', multicast: true }, new Inbox(), sockets);
    open(m2, { family: 4, ifname: 'eth0', source: '198.18.2.2', multicast: true }, in2, sockets);
    open(m3, { family: 4, ifname: 'eth0', source: '198.18.2.3', multicast: true }, in3, sockets);
    open(m3, { family: 4, ifname: 'eth0', source: '198.18.2.3', multicast: false }, in3Unicast, sockets);
    s1.send(advert(8), '224.0.0.18');
    const [g2, g3] = [await in2.next(), await in3.next()];
    expect(g2.info).toMatchObject({ src: '198.18.2.1', dst: '224.0.0.18', ttl: 255, ifindex: m2.link('eth0').ifindex });
    expect(g3.info).toMatchObject({ src: '198.18.2.1', dst: '224.0.0.18', ttl: 255, ifindex: m3.link('eth0').ifindex });
    await in3Unicast.expectSilence(200);

    const ll = (ns: Netns): string => ns.linkLocal('eth0') ?? '';
    const in2v6 = new Inbox();
    const in3v6 = new Inbox();
    const s1v6 = open(m1, { family: 6, ifname: 'eth0', source: ll(m1), multicast: true }, new Inbox(), sockets);
    open(m2, { family: 6, ifname: 'eth0', source: ll(m2), multicast: true }, in2v6, sockets);
    open(m3, { family: 6, ifname: 'eth0', source: ll(m3), multicast: true }, in3v6, sockets);
    s1v6.send(advert(11), 'ff02::12');
    const [h2, h3] = [await in2v6.next(), await in3v6.next()];
    expect(h2.info).toMatchObject({ src: ll(m1), dst: 'ff02::12', ttl: 255, ifindex: m2.link('eth0').ifindex });
    expect(h3.info).toMatchObject({ src: ll(m1), dst: 'ff02::12', ttl: 255, ifindex: m3.link('eth0').ifindex });
  });

  it('a datagram that crossed a router is reported with its real TTL / hop limit (254)', async () => {
    const left = lab.ns('left');
    const router = lab.ns('router');
    const right = lab.ns('right');
    veth(left, 'eth0', router, 'l0');
    veth(router, 'r0', right, 'eth0');
    router.sysctl('net.ipv4.ip_forward', '1');
    router.sysctl('net.ipv6.conf.all.forwarding', '1');
    left.addr('eth0', '198.18.3.1/24');
    router.addr('l0', '198.18.3.254/24');
    router.addr('r0', '198.18.4.254/24');
    right.addr('eth0', '198.18.4.1/24');
    left.addr('eth0', '2001:2:0:3::1/64');
    router.addr('l0', '2001:2:0:3::fe/64');
    router.addr('r0', '2001:2:0:4::fe/64');
    right.addr('eth0', '2001:2:0:4::1/64');
    left.ip('route', 'add', '198.18.4.0/24', 'via', '198.18.3.254');
    right.ip('route', 'add', '198.18.3.0/24', 'via', '198.18.4.254');
    left.ip('-6', 'route', 'add', '2001:2:0:4::/64', 'via', '2001:2:0:3::fe');
    right.ip('-6', 'route', 'add', '2001:2:0:3::/64', 'via', '2001:2:0:4::fe');

    const in4 = new Inbox();
    const in6 = new Inbox();
    const l4 = open(left, { family: 4, ifname: 'eth0', source: '198.18.3.1', multicast: false }, new Inbox(), sockets);
    open(right, { family: 4, ifname: 'eth0', source: '198.18.4.1', multicast: false }, in4, sockets);
    const l6 = open(left, { family: 6, ifname: 'eth0', source: '2001:2:0:3::1', multicast: false }, new Inbox(), sockets);
    open(right, { family: 6, ifname: 'eth0', source: '2001:2:0:4::1', multicast: false }, in6, sockets);
    l4.send(advert(9), '198.18.4.1');
    l6.send(advert(10), '2001:2:0:4::1');
    expect((await in4.next()).info).toMatchObject({ src: '198.18.3.1', dst: '198.18.4.1', ttl: 254 });
    expect((await in6.next()).info).toMatchObject({ src: '2001:2:0:3::1', dst: '2001:2:0:4::1', ttl: 254 });
  });
});
