// Many rtnetlink requests at once on one socket: every one is answered. A start with a few
// hundred VIPs fires their removals together; the replies (error acks carry the request back)
// wait in the socket's receive buffer, and with more than about 64 at once the kernel dropped the
// rest quietly (NETLINK_NO_ENOBUFS): the start failed on a 10 s request timeout.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rtnl } from '../../src/kernel/rtnl.js';
import { describeWith } from '../support/needs.js';
import { NetnsLab, veth, type Netns } from '../support/netns.mjs';
import { inNetns } from '../../src/kernel/native.js';

const COUNT = 300;
const vip = (i: number) => ({ address: `198.18.${40 + Math.floor(i / 250)}.${(i % 250) + 1}`, prefixLength: 32 });

describeWith(['root', 'netns'], 'rtnetlink bursts', () => {
  const lab = new NetnsLab('rtburst');
  let ns: Netns;
  let rtnl: Rtnl;
  let ifindex: number;

  beforeAll(async () => {
    ns = lab.ns('a');
    veth(ns, 'dummy0', lab.ns('b'), 'eth0');
    rtnl = inNetns(ns.path, () => Rtnl.open());
    ifindex = (await rtnl.linkByName('dummy0')).ifindex;
  });

  afterAll(async () => {
    rtnl?.close();
    await lab.cleanup();
  });

  it(`answers ${COUNT} VIP additions, removals and removals of absent VIPs sent at once`, async () => {
    const all = Array.from({ length: COUNT }, (_, i) => ({ ...vip(i), ifindex }));
    const added = await Promise.all(all.map((v) => rtnl.addVip(v, 'dummy0')));
    expect(added.filter((r) => r === 'added')).toHaveLength(COUNT);
    expect(ns.ip('-4', '-o', 'addr', 'show', 'dev', 'dummy0').trim().split('\n')).toHaveLength(COUNT);
    const removed = await Promise.all(all.map((v) => rtnl.removeVip(v, 'dummy0')));
    expect(removed.filter((r) => r === 'removed')).toHaveLength(COUNT);
    // Absent: each reply is an error ack carrying the request, the largest replies there are.
    const absent = await Promise.all(all.map((v) => rtnl.removeVip(v, 'dummy0')));
    expect(absent.filter((r) => r === 'removed')).toHaveLength(0);
  }, 60_000);
});
