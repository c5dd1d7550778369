// Issue 10 §2: the daemon never dies with VIPs held. The whole daemon (VRRP in its worker thread,
// kernel IPVS replaced by MemoryIpvs) runs as master in one namespace while a peer namespace
// captures its adverts. An error nobody catches, on the main thread or in the VRRP thread, ends
// the process with a non-zero exit code, a priority-0 advert on the wire and the VIP removed. And
// after a kill -9, the restarted daemon has removed the stale VIP before its first IPVS read.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe as group, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { NetnsLab, veth, type Netns, type NetnsProcess } from '../support/netns.mjs';
import { assertBuilt, holders, VrrpNode, VrrpProcesses, waitForState, waitForVipOn } from './support/vrrp-lab.js';

const DAEMON_NODE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'daemon-node.mjs');
const LB = '198.18.0.1';
const VIP = '198.18.0.100';

describeWith(['root', 'netns', 'tcpdump'], 'a crashing daemon releases its VIPs', () => {
  const lab = new NetnsLab('vrrpcrash');
  const procs = new VrrpProcesses();
  let lb: Netns;
  let peer: Netns;
  let dir = '';
  let port = 19_940;

  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'lvsd-vrrpcrash-'));
    lb = lab.ns('lb');
    peer = lab.ns('peer');
    veth(lb, 'eth0', peer, 'eth0');
    lb.addr('eth0', `${LB}/24`);
    peer.addr('eth0', '198.18.0.2/24');
  });

  afterAll(async () => {
    await procs.cleanup();
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A master with one VIP and three services (so IPVS is adopted at start). */
  const config = (name: string): string =>
    stringify({
      node: { name: 'lb1' },
      control: { socket: `${dir}/${name}.sock` },
      metrics: { listen: `127.0.0.1:${port++}` },
      ipvs: { state_dir: `${dir}/${name}-state` },
      vrrp: { instances: [{ name: 'web', interface: 'eth0', vrid: 61, priority: 150, advert_interval: '100ms', garp: { delay: '0s' }, vips: [`${VIP}/24`] }] },
      services: [80, 443, 8080].map((p) => ({ name: `s${p}`, vip: VIP, port: p, protocol: 'tcp', real_servers: [{ address: '198.19.0.1' }] })),
    });

  const capture = async (): Promise<NetnsProcess> => {
    const p = peer.spawn('tcpdump', ['-i', 'eth0', '-n', '-l', '-p', `ip proto 112 and src ${LB}`]);
    await p.waitForOutput(/listening on/, 10_000);
    return p;
  };

  async function crashed(node: VrrpNode, adverts: NetnsProcess): Promise<void> {
    expect(await node.exitStatus(10_000)).toEqual({ code: 1, signal: null });
    expect(holders([lb], 'eth0', VIP)).toEqual([]);
    await adverts.waitForOutput(/vrid 61, prio 0,/, 5_000);
    await adverts.stop();
    expect(node.log).toMatch(/"level":60.*injected failure/);
  }

  group('an uncaught error', () => {
    it('on the main thread: priority 0 on the wire, VIP removed, exit code 1', async () => {
      const node = await VrrpNode.start(procs, lb, 'crash-main', config('crash-main'), { driver: DAEMON_NODE, args: ['crash-main'] });
      await waitForState(node, 'web', 'master', 10_000);
      await waitForVipOn([lb], 'eth0', VIP, lb);
      const adverts = await capture();
      await node.request('throw');
      await crashed(node, adverts);
      expect(node.log).toMatch(/uncaught exception: releasing the VIPs and exiting/);
    });

    it('in the VRRP thread: priority 0 on the wire, VIP removed, and the whole process exits with code 1', async () => {
      const adverts = await capture();
      const node = await VrrpNode.start(procs, lb, 'crash-vrrp', config('crash-vrrp'), {
        driver: DAEMON_NODE,
        args: ['crash-vrrp'],
        env: { LVSD_TEST_VRRP_THROW_MS: '2500' },
      });
      await waitForVipOn([lb], 'eth0', VIP, lb, 2_000);
      await crashed(node, adverts);
      expect(node.log).toMatch(/VRRP thread: uncaught exception; stepping down/);
      expect(node.log).toMatch(/the VRRP thread ended unexpectedly/);
    });
  });

  it('after kill -9 the restarted daemon removes the stale VIP before it first reads IPVS', async () => {
    const first = await VrrpNode.start(procs, lb, 'killed', config('killed'), { driver: DAEMON_NODE });
    await waitForVipOn([lb], 'eth0', VIP, lb, 5_000);
    await first.kill('SIGKILL');
    expect(holders([lb], 'eth0', VIP)).toEqual([lb.name]);
    const second = await VrrpNode.start(procs, lb, 'restarted', config('restarted'), { driver: DAEMON_NODE });
    const { addressesAtFirstRead } = (await second.request('status')) as { addressesAtFirstRead: string };
    expect(addressesAtFirstRead).toContain(`${LB}/24`);
    expect(addressesAtFirstRead).not.toContain(VIP);
    expect(second.log).toMatch(/removed a VIP left behind by a previous run/);
    await second.dispose();
  });
});
