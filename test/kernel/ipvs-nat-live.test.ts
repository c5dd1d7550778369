// A real TCP connection through a NAT service stays up while lvsd edits the service under it:
// weights, scheduler and persistence change in place, never by delete and re-create, so the
// kernel keeps the connection entry and the connection keeps working.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyPlan } from '../../src/ipvs/apply.js';
import { IpvsClient } from '../../src/ipvs/client.js';
import { planChanges } from '../../src/ipvs/plan.js';
import type { DesiredIpvs, Destination, Service } from '../../src/ipvs/types.js';
import { describeWith } from '../support/needs.js';
import { lan, NetnsLab, veth, waitFor, type Netns, type NetnsProcess } from '../support/netns.mjs';
import type { ConnectionReport } from '../../src/ipvs/connections.js';
import { cli, echoCount, startEchoServer, startHeldClient } from './support/daemon-lab.js';

const VIP = '198.18.0.100';
const service = (scheduler: string, persistence = 0): Service => ({
  protocol: 'tcp', address: VIP, port: 80, scheduler, schedulerFlags: [], onePacket: false, persistence, persistencePrefix: 32,
});
const dest = (address: string, weight: number): Destination => ({ address, port: 8080, forwarding: 'nat', weight, upperThreshold: 0, lowerThreshold: 0 });

describeWith(['root', 'ipvs', 'ipvsadm', 'netns'], 'a live NAT connection during in-place edits', () => {
  const lab = new NetnsLab('natlive');
  const procs: NetnsProcess[] = [];
  let client: Netns, lb: Netns;
  let ipvs: IpvsClient;

  const apply = async (desired: DesiredIpvs): Promise<string[]> => {
    const plan = planChanges(desired, await ipvs.read(), { purgeUnmanaged: false });
    const result = await applyPlan(ipvs, plan);
    expect(result.failed).toEqual([]);
    return plan.operations.map((o) => o.kind);
  };
  /** The real server each of the client's connections to the VIP goes to, from the kernel's table. */
  const connections = (): string[] =>
    lb.exec('ipvsadm', ['-Lnc']).split('\n').flatMap((l) => {
      const m = /^TCP\s+\S+\s+ESTABLISHED\s+(\S+)\s+\S+\s+(\S+)/.exec(l);
      return m ? [`${m[1]} -> ${m[2]}`] : [];
    });

  beforeAll(async () => {
    client = lab.ns('client');
    lb = lab.ns('lb');
    const sw = lab.ns('sw');
    const rs1 = lab.ns('rs1');
    const rs2 = lab.ns('rs2');
    veth(client, 'eth0', lb, 'eth0');
    lan(sw, [lb, rs1, rs2].map((ns, i) => ({ ns, ifname: i === 0 ? 'eth1' : 'eth0' })));
    client.addr('eth0', '198.18.0.2/24');
    lb.addr('eth0', '198.18.0.1/24');
    lb.addr('eth0', `${VIP}/24`);
    lb.addr('eth1', '198.18.1.1/24');
    lb.sysctl('net.ipv4.ip_forward', '1');
    for (const [ns, ip] of [[rs1, '198.18.1.11'], [rs2, '198.18.1.12']] as const) {
      ns.addr('eth0', `${ip}/24`);
      // NAT: replies must go back through the director.
      ns.ip('route', 'add', 'default', 'via', '198.18.1.1');
      procs.push(await startEchoServer(ns, [8080]));
    }
    ipvs = await IpvsClient.open({ netns: lb.path });
    await apply({ services: [{ service: service('wrr'), destinations: [dest('198.18.1.11', 100), dest('198.18.1.12', 100)] }] });
  }, 120_000);

  afterAll(async () => {
    ipvs?.close();
    await Promise.all(procs.map((p) => p.stop(5_000)));
    await lab.cleanup();
  }, 60_000);

  it('keeps the connection and its kernel entry through weight, scheduler and persistence edits', async () => {
    const held = await startHeldClient(client, VIP, 80);
    procs.push(held);
    const before = connections();
    expect(before).toHaveLength(1);
    const edits: Array<[Service, Destination[]]> = [
      [service('wrr'), [dest('198.18.1.11', 10), dest('198.18.1.12', 50)]],
      [service('rr'), [dest('198.18.1.11', 10), dest('198.18.1.12', 50)]],
      [service('sh'), [dest('198.18.1.11', 0), dest('198.18.1.12', 1)]],
      [service('wlc', 300), [dest('198.18.1.11', 100), dest('198.18.1.12', 100)]],
    ];
    for (const [svc, dests] of edits) {
      const kinds = await apply({ services: [{ service: svc, destinations: dests }] });
      expect(kinds.every((k) => k === 'edit-service' || k === 'edit-dest')).toBe(true);
      const echoed = echoCount(held);
      await waitFor(`echoes after switching to ${svc.scheduler}`, () => echoCount(held) >= echoed + 3, { timeoutMs: 20_000, intervalMs: 50 });
    }
    expect(held.output).not.toMatch(/error|closed/);
    expect(connections()).toEqual(before);
  });

  it('lvsd connections counts the same connections as ipvsadm -Lnc, per real server and client', () => {
    const expected = connections();
    expect(expected.length).toBeGreaterThan(0);
    const report = JSON.parse(lb.exec('node', [cli, 'connections', `tcp ${VIP}:80`, '--json'])) as ConnectionReport;
    const established = report.byRealServer.flatMap((rs) => rs.byState.filter((s) => s.name === 'ESTABLISHED').map((s) => ({ rs: rs.realServer, n: s.count })));
    expect(established.reduce((sum, e) => sum + e.n, 0)).toBe(expected.length);
    for (const line of expected) expect(established.map((e) => e.rs)).toContain(line.split(' -> ')[1]);
    expect(report.topClients[0]?.name).toBe('198.18.0.2');
    expect(report.unreadLines).toBe(0);
    expect(lb.exec('node', [cli, 'connections', `udp ${VIP}:80`])).toMatch(/^0 connection\(s\) to udp 198\.18\.0\.100:80/);
  });
});
