// Fault injection on the rtnetlink watches with a real overrun: a watch with the smallest receive
// buffer the kernel allows, and a burst of link / address changes made while the event loop is
// blocked (spawnSync), so the kernel drops notifications. On today's netlink@0.3.0 that aborted
// the process (the ENOBUFS flag; see native/netlink_options.cc); now the process must survive,
// report ENOBUFS, and end up with the same view of the namespace as `ip` has.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NetlinkSocketError } from '../../src/kernel/errors.js';
import { AddressWatch, LinkWatch } from '../../src/kernel/rtnl.js';
import { describeWith } from '../support/needs.js';
import { NetnsLab, waitFor, type Netns } from '../support/netns.mjs';
import { inNetns } from '../../src/kernel/native.js';

/** SO_RCVBUF asked for; the kernel raises it to its minimum (a couple of kilobytes). */
const TINY = 1;
const PAIRS = 20;

describeWith(['root', 'netns'], 'rtnetlink watches survive ENOBUFS and re-sync', () => {
  const lab = new NetnsLab('enobufs');
  let ns: Netns;

  beforeAll(() => {
    ns = lab.ns('a');
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it('a link watch overrun by a burst of link changes reports ENOBUFS, re-dumps, and tracks every link right', async () => {
    const links = new Map<number, string>();
    const errors: NetlinkSocketError[] = [];
    const watch = inNetns(ns.path, () =>
      LinkWatch.open(
        (link, event) => (event === 'removed' ? links.delete(link.ifindex) : links.set(link.ifindex, link.ifname)),
        { recvBufferSize: TINY, onError: (e) => errors.push(e) },
      ),
    );
    try {
      // A burst the watch cannot read while it happens: add pairs, then delete half of them.
      const batch = [
        ...Array.from({ length: PAIRS }, (_, i) => `link add burst${i} type veth peer name burst${i}p`),
        ...Array.from({ length: PAIRS / 2 }, (_, i) => `link del burst${i}`),
      ].join('\n');
      ns.exec('ip', ['-batch', '-'], { input: `${batch}\n` });
      await waitFor('ENOBUFS reported', () => errors.length > 0 || undefined);
      expect(errors[0]?.code).toBe('ENOBUFS');
      const truth = () =>
        (JSON.parse(ns.ip('-j', 'link', 'show')) as Array<{ ifindex: number; ifname: string }>)
          .map((l) => `${l.ifindex}:${l.ifname}`)
          .sort()
          .join(' ');
      const ours = () =>
        [...links]
          .map(([i, n]) => `${i}:${n}`)
          .sort()
          .join(' ');
      await waitFor('the watch agrees with ip link', () => (ours() === truth() ? true : undefined));
      // Still watching after the overrun.
      ns.ip('link', 'del', `burst${PAIRS - 1}`);
      await waitFor('a later removal seen', () => (ours() === truth() ? true : undefined));
      expect(links.size).toBe(1 + 2 * (PAIRS / 2 - 1)); // lo and both ends of the 9 pairs left
    } finally {
      watch.close();
    }
  });

  it('an address watch overrun by a burst of address changes reports ENOBUFS, re-dumps, and ends with every address', async () => {
    ns.ip('link', 'add', 'addrs0', 'type', 'veth', 'peer', 'name', 'addrs1');
    ns.ip('link', 'set', 'addrs0', 'up');
    const addresses = new Set<string>();
    const errors: NetlinkSocketError[] = [];
    const watch = inNetns(ns.path, () =>
      AddressWatch.open((a, event) => (event === 'removed' ? addresses.delete(a.address) : addresses.add(a.address)), {
        recvBufferSize: TINY,
        onError: (e) => errors.push(e),
      }),
    );
    try {
      const adds = Array.from({ length: 60 }, (_, i) => `addr add 198.18.77.${i + 1}/32 dev addrs0`);
      const dels = Array.from({ length: 30 }, (_, i) => `addr del 198.18.77.${i + 1}/32 dev addrs0`);
      ns.exec('ip', ['-batch', '-'], { input: `${[...adds, ...dels].join('\n')}\n` });
      await waitFor('ENOBUFS reported', () => errors.length > 0 || undefined);
      const want = Array.from({ length: 30 }, (_, i) => `198.18.77.${i + 31}`);
      await waitFor('the watch has exactly the addresses left', () =>
        want.every((a) => addresses.has(a)) && ![...addresses].some((a) => a.startsWith('198.18.77.') && !want.includes(a)) ? true : undefined,
      );
    } finally {
      watch.close();
    }
  });
});
