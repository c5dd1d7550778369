// The full read the addon runs (src/kernel/genl-dump.ts, native/genl_dump.cc) against
// `ipvsadm -Sn` on the same kernel table, written by ipvsadm: IPv4 and IPv6 VIPs, fwmark services
// of both families, SCTP, direct routing, NAT, IPIP/GUE/GRE tunnels and local forwarding,
// services with no real server; then services deleted between the service dump and their
// destination dumps.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IpvsClient } from '../../src/ipvs/client.js';
import { Cmd } from '../../src/ipvs/constants.js';
import type { KernelIpvs, ServiceId } from '../../src/ipvs/types.js';
import { openGenlDumper } from '../../src/kernel/genl-dump.js';
import { describeWith } from '../support/needs.js';
import { fixtureRules } from './support/ipvs-fixture.js';
import { createNetns, type TestNetns } from '../support/netns.mjs';
import { hostPort } from '../../src/net/address.js';

const SERVICES = 400;

/** `ipvsadm -A` arguments naming service i: a quarter each of TCP/IPv4, UDP/IPv6, fwmark IPv4, fwmark IPv6. */
function serviceArgs(i: number): { id: string; v6: boolean; port: number; sched: string } {
  switch (i % 4) {
    case 0: return { id: `-t 198.18.${4 + (i >> 8)}.${i & 0xff}:80`, v6: false, port: 80, sched: 'wrr' };
    case 1: return { id: `-u [2001:2::1:${i.toString(16)}]:53`, v6: true, port: 53, sched: 'rr' };
    case 2: return { id: `-f ${1000 + i}`, v6: false, port: 0, sched: 'sh -p 60' };
    default: return { id: `-f ${1000 + i} -6`, v6: true, port: 0, sched: 'lc' };
  }
}

/** Service i has i % 5 real servers (none for every fifth), forwarding by turns: -g, -m, -i. */
const tableRules = Array.from({ length: SERVICES }, (_, i) => {
  const s = serviceArgs(i);
  const lines = [`-A ${s.id} -s ${s.sched}`];
  for (let d = 1; d <= i % 5; d++) {
    const real = s.v6 ? `[2001:2::2:${d}]` : `198.19.${d}.${i & 0xff}`;
    lines.push(`-a ${s.id} -r ${real}:${s.port} ${['-g', '-m', '-i'][(i + d) % 3]} -w ${d + 1}`);
  }
  return lines.join('\n');
}).join('\n');

/** ipvsadm's name for a service in -S output and in its own options. */
function ipvsadmId(s: ServiceId): string {
  if ('fwmark' in s) return s.family === 6 ? `-f ${s.fwmark} -6` : `-f ${s.fwmark}`;
  const flag = { tcp: '-t', udp: '-u', sctp: '--sctp-service' }[s.protocol];
  return `${flag} ${hostPort(s)}`;
}

/**
 * One line per service and per real server with the fields `ipvsadm -Sn` prints for them
 * (name, scheduler, persistence; address, forwarding switch, weight), sorted. ipvsadm prints
 * local forwarding as -g.
 */
function fromIpvsadm(saved: string): string[] {
  const out: string[] = [];
  for (const line of saved.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const words = line.split(/\s+/);
    const after = (flag: string): string | undefined => words[words.indexOf(flag) + 1];
    const id = words.slice(1, words.indexOf(line.startsWith('-A') ? '-s' : '-r')).join(' ').replace(/^-q /, '--sctp-service ');
    if (line.startsWith('-A')) out.push(`${id} ${after('-s')} p=${words.includes('-p') ? after('-p') : 0}`);
    else out.push(`${id} -> ${after('-r')} ${words.find((w) => w === '-g' || w === '-m' || w === '-i')} w=${after('-w')}`);
  }
  return out.sort();
}

function fromRead(k: KernelIpvs): string[] {
  const fwd = { dr: '-g', local: '-g', nat: '-m', tun: '-i' } as const;
  return k.services
    .flatMap(({ service: s, destinations }) => [
      `${ipvsadmId(s)} ${s.scheduler} p=${s.persistence}`,
      ...destinations.map((d) => `${ipvsadmId(s)} -> ${hostPort(d)} ${fwd[d.forwarding]} w=${d.weight}`),
    ])
    .sort();
}

describeWith(['root', 'netns', 'ipvs', 'ipvsadm'], 'IPVS full read by the addon, beside ipvsadm -Sn', () => {
  let ns: TestNetns;
  let client: IpvsClient;

  beforeAll(async () => {
    ns = createNetns('ipvs');
    ns.run('ipvsadm', ['-R'], `${fixtureRules}\n${tableRules}\n`);
    client = await IpvsClient.open({ netns: ns.path });
    // Local forwarding cannot be asked of ipvsadm; lvsd writes it.
    await client.addDestination({ protocol: 'tcp', address: '198.18.4.0', port: 80 }, { address: '198.19.9.9', port: 80, forwarding: 'local', weight: 9, upperThreshold: 0, lowerThreshold: 0 });
  });

  afterAll(() => {
    client?.close();
    ns?.remove();
  });

  it('reads every service and real server ipvsadm -Sn lists, and nothing else', async () => {
    const kernel = await client.read();
    expect(kernel.services).toHaveLength(SERVICES + 5);
    // Every fifth service has no real server, but for the one given the local real server.
    expect(kernel.services.filter((r) => r.destinations.length === 0).length).toBe(SERVICES / 5 - 1);
    const local = kernel.services.find((r) => 'address' in r.service && r.service.address === '198.18.4.0')?.destinations.find((d) => d.address === '198.19.9.9');
    expect(local).toMatchObject({ forwarding: 'local', weight: 9 });
    const tunnels = kernel.services.flatMap((r) => r.destinations).flatMap((d) => (d.tunnel ? [d.tunnel.type] : []));
    expect(new Set(tunnels)).toEqual(new Set(['ipip', 'gue', 'gre']));
    expect(fromRead(kernel)).toEqual(fromIpvsadm(ns.run('ipvsadm', ['-Sn'])));
  });

  it('leaves out services deleted after the service dump listed them, before their real servers were dumped', async () => {
    // Every 16th service, with or without real servers, goes between the two dump lists.
    const doomed = Array.from({ length: SERVICES / 16 }, (_, k) => serviceArgs(k * 16 + 3 * (k % 4)));
    let deleted = false;
    const reader = await IpvsClient.open({
      netns: ns.path,
      openDumper: () => {
        const dumper = openGenlDumper({ netns: ns.path });
        return {
          dump: async (family, cmd, version, requests) => {
            const replies = await dumper.dump(family, cmd, version, requests);
            if (cmd === Cmd.GET_SERVICE && !deleted) {
              ns.run('ipvsadm', ['-R'], doomed.map((s) => `-D ${s.id}`).join('\n') + '\n');
              deleted = true;
            }
            return replies;
          },
          close: () => dumper.close(),
        };
      },
    });
    try {
      const kernel = await reader.read();
      expect(deleted).toBe(true);
      expect(kernel.services).toHaveLength(SERVICES + 5 - doomed.length);
      const names = new Set(kernel.services.map((r) => ipvsadmId(r.service)));
      for (const s of doomed) expect(names.has(s.id)).toBe(false);
      expect(fromRead(kernel)).toEqual(fromIpvsadm(ns.run('ipvsadm', ['-Sn'])));
    } finally {
      reader.close();
    }
  });
});
