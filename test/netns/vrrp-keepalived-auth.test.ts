// VRRPv2 simple-text authentication (auth_type PASS) against keepalived with a wrong password:
// each side drops the other's adverts, so both become master; lvsd counts the drops as
// auth-mismatch and logs it (throttled: one line per reason per second). (The matching-password case, in both roles, is the round trip of
// import-keepalived.test.ts, whose slow2 instance uses PASS.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { NetnsLab, veth, waitFor, type Netns } from '../support/netns.mjs';
import { Keepalived } from './support/vrrp-keepalived.js';
import { assertBuilt, configYaml, holders, VrrpNode, VrrpProcesses } from './support/vrrp-lab.js';

const KA = '198.18.1.1';
const LV = '198.18.1.2';
const VIP = '198.18.1.60';

const keepalivedConf = `global_defs {
    router_id ka
    vrrp_garp_master_delay 0
}
vrrp_instance auth {
    state BACKUP
    interface eth0
    virtual_router_id 60
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass right
    }
    virtual_ipaddress {
        ${VIP}/24
    }
}
`;

describeWith(['root', 'netns', 'keepalived'], 'VRRPv2 PASS authentication: a wrong password', () => {
  const lab = new NetnsLab('vrrpauth');
  const procs = new VrrpProcesses();
  let ka: Netns;
  let lv: Netns;
  let lvsd: VrrpNode;
  let keepalived: Keepalived | undefined;

  beforeAll(async () => {
    assertBuilt();
    ka = lab.ns('ka');
    lv = lab.ns('lv');
    veth(ka, 'eth0', lv, 'eth0');
    ka.addr('eth0', `${KA}/24`);
    lv.addr('eth0', `${LV}/24`);
    const yaml = configYaml('lvsd', [{
      name: 'auth', interface: 'eth0', vrid: 60, version: 2, priority: 100, advert_interval: '1s',
      garp: { repeat: 1, delay: '0s' }, authentication: { type: 'pass', password: 'wrong' }, vips: [`${VIP}/24`],
    }]);
    [lvsd, keepalived] = await Promise.all([VrrpNode.start(procs, lv, 'lvsd', yaml), Keepalived.start(ka, keepalivedConf)]);
  });

  afterAll(async () => {
    await keepalived?.stop();
    keepalived?.dispose();
    await procs.cleanup();
    await lab.cleanup();
  });

  it('each side ignores the other: both master, lvsd counts auth-mismatch, keepalived logs it', async () => {
    // Both wait Master_Down_Interval (about 3.6 s) and then hold the VIP, each deaf to the other.
    // keepalived 2.2.7 restarts its advert timer on every packet it reads (see vrrp-peer-watch.ts),
    // so while it drops ours it advertises irregularly: one counted drop is the proof.
    await waitFor('both sides to claim the VIP', () => holders([ka, lv], 'eth0', VIP).length === 2, { timeoutMs: 8_000 });
    const view = await waitFor('lvsd to count dropped adverts', async () => {
      const v = await lvsd.instance('auth');
      return (v.counters.drops['auth-mismatch'] ?? 0) >= 1 ? v : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    expect(view.state).toBe('master');
    expect(view.counters.advertsReceived).toBe(0);
    expect(lvsd.log).toContain('dropped 1 advert(s): auth-mismatch');
    await waitFor('keepalived to log the wrong password', () => /passw|auth/i.test(keepalived?.log ?? ''), { timeoutMs: 5_000 });
  });
});
