// Interop with Debian's keepalived (2.2.x, VRRP only) on a veth pair: one virtual router per
// case, all running at once, with keepalived master in some and lvsd master in others — VRRPv3
// over IPv4 and IPv6 at 100 ms, VRRPv2 at 1 s, unicast with keepalived's old checksum, and the
// two VRRPv3-over-IPv4 checksum variants. Then each side stops gracefully and the other takes
// over its routers.
//
// The checksum-variant mismatch (lvsd `checksum: rfc9568` against keepalived, which only accepts
// the RFC 5798 form): lvsd hears keepalived (it accepts every variant) but keepalived drops
// lvsd's adverts. With keepalived higher, that is harmless (lvsd stays backup) and lvsd warns that
// the variants differ. With lvsd higher, both are master: lvsd detects the split brain, names the
// checksum variant as the likely cause (status `splitBrain[].checksumDiffers`, an error log) and
// keeps the VIP, as RFC 5798 says the higher priority should.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { NetnsLab, veth, waitFor, type Netns } from '../support/netns.mjs';
import { Keepalived, keepalivedConf, type KeepalivedInstance } from './support/vrrp-keepalived.js';
import { assertBuilt, configYaml, holders, VrrpNode, VrrpProcesses, waitForState, waitForVipOn, type InstanceYaml } from './support/vrrp-lab.js';

const KA = '198.18.1.1';
const LV = '198.18.1.2';

interface Case {
  name: string;
  vrid: number;
  version: 2 | 3;
  family: 4 | 6;
  /** Who has the higher priority. */
  master: 'keepalived' | 'lvsd';
  checksum?: 'rfc5798' | 'rfc9568';
  unicastOld?: boolean;
}

const CASES: Case[] = [
  { name: 'k4', vrid: 20, version: 3, family: 4, master: 'keepalived' },
  { name: 'l4', vrid: 21, version: 3, family: 4, master: 'lvsd' },
  { name: 'k6', vrid: 22, version: 3, family: 6, master: 'keepalived' },
  { name: 'l6', vrid: 23, version: 3, family: 6, master: 'lvsd' },
  { name: 'k2', vrid: 24, version: 2, family: 4, master: 'keepalived' },
  { name: 'l2', vrid: 25, version: 2, family: 4, master: 'lvsd' },
  { name: 'l5798', vrid: 26, version: 3, family: 4, master: 'lvsd', checksum: 'rfc5798' },
  { name: 'l9568', vrid: 27, version: 3, family: 4, master: 'lvsd', checksum: 'rfc9568' },
  { name: 'k9568', vrid: 28, version: 3, family: 4, master: 'keepalived', checksum: 'rfc9568' },
  { name: 'kold', vrid: 29, version: 3, family: 4, master: 'keepalived', unicastOld: true },
  { name: 'lold', vrid: 30, version: 3, family: 4, master: 'lvsd', unicastOld: true },
];

const vipOf = (c: Case): string => (c.family === 4 ? `198.18.1.${c.vrid}` : `2001:2:0:1::${c.vrid}`);
const prefixOf = (c: Case): number => (c.family === 4 ? 24 : 64);
const priorityOf = (c: Case, side: 'keepalived' | 'lvsd'): number => (c.master === side ? 150 : 100);

function lvsdConfig(): string {
  const instances: InstanceYaml[] = CASES.map((c) => ({
    name: c.name,
    interface: 'eth0',
    vrid: c.vrid,
    version: c.version,
    priority: priorityOf(c, 'lvsd'),
    advert_interval: c.version === 2 ? '1s' : '100ms',
    garp: { repeat: 1, delay: '0s' },
    vips: [`${vipOf(c)}/${prefixOf(c)}`],
    ...(c.checksum ? { checksum: c.checksum } : {}),
    ...(c.unicastOld ? { unicast_peers: [KA] } : {}),
  }));
  return configYaml('lvsd', instances);
}

function keepalivedConfig(): string {
  const instances: KeepalivedInstance[] = CASES.map((c) => ({
    name: c.name,
    interface: 'eth0',
    vrid: c.vrid,
    version: c.version,
    priority: priorityOf(c, 'keepalived'),
    advertInt: c.version === 2 ? 1 : 0.1,
    vips: [`${vipOf(c)}/${prefixOf(c)}`],
    ...(c.unicastOld ? { unicastSource: KA, unicastPeers: [LV], oldUnicastChecksum: true } : {}),
  }));
  return keepalivedConf(instances);
}

describeWith(['root', 'netns', 'keepalived'], 'VRRP interop with keepalived', () => {
  const lab = new NetnsLab('vrrpka');
  const procs = new VrrpProcesses();
  let ka: Netns;
  let lv: Netns;
  let lvsd: VrrpNode;
  let keepalived: Keepalived | undefined;
  const both = (): Netns[] => [ka, lv];
  const holderOf = (c: Case): Netns => (c.master === 'keepalived' ? ka : lv);
  /** Cases where the two sides agree on the checksum, so VRRP itself decides. */
  const agreeing = CASES.filter((c) => c.checksum !== 'rfc9568');

  beforeAll(async () => {
    assertBuilt();
    ka = lab.ns('ka');
    lv = lab.ns('lv');
    veth(ka, 'eth0', lv, 'eth0');
    ka.addr('eth0', `${KA}/24`);
    lv.addr('eth0', `${LV}/24`);
    await waitFor('link-local addresses', () => both().every((n) => n.linkLocal('eth0') !== undefined));
    [lvsd, keepalived] = await Promise.all([VrrpNode.start(procs, lv, 'lvsd', lvsdConfig()), Keepalived.start(ka, keepalivedConfig())]);
  });

  afterAll(async () => {
    await keepalived?.stop();
    keepalived?.dispose();
    await procs.cleanup();
    await lab.cleanup();
  });

  it('elects the higher priority in every case, whichever implementation it is', async () => {
    // VRRPv2 at 1 s needs Master_Down_Interval (about 3.6 s) before the first master appears.
    for (const c of agreeing) await waitForVipOn(both(), 'eth0', vipOf(c), holderOf(c), 8_000);
    for (const c of agreeing) {
      const view = await lvsd.instance(c.name);
      if (c.master === 'keepalived') {
        expect(view.state, c.name).toBe('backup');
        expect(view.currentMaster?.priority, c.name).toBe(150);
        expect(view.currentMaster?.address, c.name).toBe(c.family === 4 ? KA : ka.linkLocal('eth0'));
      } else {
        expect(view.state, c.name).toBe('master');
      }
      if (c.unicastOld && c.master === 'lvsd') {
        // keepalived's old unicast checksum rejects ours, so it goes master too and advertises
        // once; `auto` answers that advert in its variant (a configured unicast peer's variant)
        // and the split brain heals.
        await waitFor(`${c.name}: the split brain to heal`, async () => (await lvsd.instance(c.name)).splitBrain.length === 0, { timeoutMs: 8_000, intervalMs: 100 });
        continue;
      }
      expect(view.splitBrain, c.name).toEqual([]);
    }
  });

  it('speaks each checksum variant keepalived uses', async () => {
    const peerChecksum = async (name: string) => (await lvsd.instance(name)).peers[0]?.checksum;
    expect(await peerChecksum('k2')).toBe('plain');
    expect(await peerChecksum('k4')).toBe('pseudo-header');
    expect(await peerChecksum('k6')).toBe('pseudo-header');
    // Unicast with old_unicast_checksum: 224.0.0.18 in the pseudo-header; `auto` answers in kind.
    expect(await peerChecksum('kold')).toBe('pseudo-header-multicast');
    const lold = await lvsd.instance('lold');
    expect(lold.sendChecksum).toBe('pseudo-header-multicast');
    expect(lold.peers.every((p) => !p.checksumDiffers)).toBe(true);
    const l5798 = await lvsd.instance('l5798');
    expect(l5798.sendChecksum).toBe('pseudo-header');
  });

  it('reports an RFC 9568 checksum that keepalived rejects: a warning as backup, a split brain as master', async () => {
    // keepalived higher: lvsd follows it, and warns that the variants differ.
    const backup = await lvsd.instance('k9568');
    expect(backup.state).toBe('backup');
    expect(backup.peers[0]?.checksumDiffers).toBe(true);
    await waitFor('the checksum warning', () => lvsd.log.includes('uses the pseudo-header checksum and we send plain'));
    // lvsd higher: keepalived cannot hear it, so both hold the VIP; lvsd names it.
    const vip = vipOf(CASES.find((c) => c.name === 'l9568') as Case);
    await waitFor('both sides to claim the VIP', () => holders(both(), 'eth0', vip).length === 2, { timeoutMs: 3_000 });
    const master = await waitFor('lvsd to detect the split brain', async () => {
      const view = await lvsd.instance('l9568');
      return view.splitBrain.length > 0 ? view : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    expect(master.state).toBe('master');
    expect(master.splitBrain[0]).toMatchObject({ peer: KA, peerPriority: 100, checksumDiffers: true });
    // One advert in its variant while we are master is enough (see vrrp-peer-watch.ts), and the
    // split brain lasts although keepalived then falls silent.
    expect(master.splitBrainsDetected).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect((await lvsd.instance('l9568')).splitBrain).toHaveLength(1);
    expect(lvsd.log).toContain('split brain');
    expect(keepalived?.log).toMatch(/checksum/i);
  });

  it('keepalived stops gracefully: lvsd takes over its routers at once, v2 and v3', async () => {
    await keepalived?.stop();
    keepalived?.dispose();
    keepalived = undefined;
    for (const c of agreeing) await waitForVipOn(both(), 'eth0', vipOf(c), lv, 3_000);
    for (const c of CASES) expect(await lvsd.state(c.name), c.name).toBe('master');
  });

  it('keepalived comes back and preempts; lvsd stops gracefully and keepalived takes over', async () => {
    keepalived = await Keepalived.start(ka, keepalivedConfig());
    for (const c of agreeing.filter((x) => x.master === 'keepalived')) await waitForVipOn(both(), 'eth0', vipOf(c), ka, 8_000);
    for (const c of agreeing.filter((x) => x.master === 'keepalived')) await waitForState(lvsd, c.name, 'backup');
    await lvsd.kill('SIGTERM');
    // keepalived (priority 100) takes over lvsd's routers after Skew_Time; nothing stays on lvsd.
    for (const c of agreeing) await waitForVipOn(both(), 'eth0', vipOf(c), ka, 3_000);
    expect(lv.addresses('eth0').filter((a) => !a.startsWith(LV) && !a.startsWith('fe80:'))).toEqual([]);
  });
});
