// End to end on the lab VM's kernel: the topology of `npm run demo` (test/lab/topology.mjs), a
// client, lb1 (master) and lb2 (backup) running `lvsd run`, three real servers serving DR, TUN and
// NAT at once. One lab for the whole file, because starting node under emulation is slow; the
// tests run in order and the last ones fail lb1 over, bring it back, and (the control for the
// connection-sync test) turn the sync daemon off by a reload and fail lb1 over again.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { sleep, waitFor } from '../support/netns.mjs';
import { LOAD_BALANCERS, REAL_SERVERS, SERVICES, VRRP, type LabService } from '../lab/plan.mjs';
import { Lab } from '../lab/topology.mjs';
import { analyseStream, countBySender, shares, startCapture } from '../lab/traffic.mjs';

const byMode = (mode: LabService['mode']): LabService => {
  const s = SERVICES.find((x) => x.mode === mode);
  if (!s) throw new Error(`no ${mode} service in the lab plan`);
  return s;
};
const realServerNames = REAL_SERVERS.map((r) => r.name);
const loadBalancerNames = LOAD_BALANCERS.map((l) => l.name);

describeWith(['root', 'netns', 'ipvs', 'ipvsadm', 'tcpdump'], 'E2E lab: DR, TUN and NAT behind an lvsd pair', () => {
  let lab: Lab | undefined;
  const log = (line: string): void => console.log(`[e2e-lab] ${line}`);
  const theLab = (): Lab => {
    if (!lab) throw new Error('the lab was not built');
    return lab;
  };

  beforeAll(async () => {
    lab = await Lab.build({ log });
    await lab.waitDaemons();
    log('lvsd ready on lb1 (master) and lb2 (backup)');
  });
  afterAll(async () => {
    if (lab) {
      // The daemons' VRRP and sync story, for reading a failure.
      for (const [name, d] of Object.entries(lab.daemons)) {
        const story = d.output.split('\n').filter((line) => /sync group|sync daemon|VIP|"level":(40|50|60)/.test(line));
        log(`${name} (${d.running ? 'running' : 'exited'}):\n${story.slice(-40).join('\n')}`);
      }
      await lab.cleanup();
    }
  });

  it('real servers prepared by the CLI and by the shell script pass check with either tool', async () => {
    const l = theLab();
    const tools = Object.values(l.preparation).map((p) => p.tool);
    expect(tools).toContain('cli');
    expect(tools).toContain('script');
    for (const [name, p] of Object.entries(l.preparation)) expect(p.ok, `${name} (${p.tool}):\n${p.output}`).toBe(true);
    // Each tool checks a server the other prepared. The CLI runs once per mode and node starts
    // slowly under emulation, so it checks the two modes setup prepared; the script checks all
    // three (NAT: the default route points at the gateway VIP) on every server.
    const byScript = Object.entries(l.preparation).find(([, p]) => p.tool === 'script')?.[0] ?? '';
    const checks = await Promise.all([l.checkRealServer(byScript, 'cli', ['dr', 'tun']), ...realServerNames.map((rs) => l.checkRealServer(rs, 'script'))]);
    for (const c of checks) expect(c.ok, c.output).toBe(true);
  });

  it('each mode reaches every real server in proportion to its weight', async () => {
    const l = theLab();
    const n = 60;
    for (const s of SERVICES) {
      const result = await l.client.burst(s, n);
      log(`${s.name}: ${JSON.stringify(result.hits)} failed ${result.failed} in ${result.ms} ms ${result.errors.join('; ')}`);
      expect(result.failed, `${s.name}: ${result.errors.join('; ')}`).toBe(0);
      for (const r of shares(result.hits, s.weights)) {
        // wrr over fresh connections is exact; the tolerance only absorbs a stray health-check race.
        expect(Math.abs(r.hits - r.expected), `${s.name} ${r.rs}: ${r.hits} hits, expected ${r.expected}`).toBeLessThanOrEqual(Math.max(2, r.expected * 0.15));
      }
    }
  });

  it('DR and TUN replies go straight from the real servers to the client; NAT replies come through the director', async () => {
    const l = theLab();
    const macs = l.outerMacs();
    for (const s of SERVICES) {
      const capture = await startCapture(l.ns.client, 'eth0', `tcp and src host ${s.vip} and src port ${s.port}`);
      const result = await l.client.burst(s, 12);
      const frames = await capture.stop();
      const senders = countBySender(frames, macs);
      log(`${s.name}: reply frames by sender ${JSON.stringify(senders)}`);
      const expected = s.mode === 'nat' ? ['lb1'] : realServerNames;
      for (const f of frames.filter((x) => !expected.includes(macs[x.srcMac] ?? ''))) log(`  unexpected sender ${macs[f.srcMac] ?? f.srcMac}: ${f.summary}`);
      expect(result.failed).toBe(0);
      // At least SYN-ACK, response and FIN per request.
      expect(frames.length).toBeGreaterThanOrEqual(12 * 3);
      if (s.mode === 'nat') {
        expect(Object.keys(senders)).toEqual(['lb1']);
      } else {
        expect(Object.keys(senders).sort()).toEqual(realServerNames);
        for (const lb of loadBalancerNames) expect(senders[lb]).toBeUndefined();
      }
    }
  });

  it('lb1 crashes under a steady stream: only requests inside the failover gap fail, and an established connection survives (connection sync)', async () => {
    const l = theLab();
    const dr = byMode('dr');
    const conn = await l.client.connOpen(dr);
    for (const lb of loadBalancerNames) log(`${lb} sync daemons: ${l.ns[lb]?.exec('ipvsadm', ['-L', '--daemon']).trim().replace(/\n/g, '; ')}`);
    // The sync daemon sends in batches: wait until lb2's table holds the connection.
    await waitFor('lb2 to learn the connection from the IPVS sync daemon', () => l.ipvsConnections('lb2').some((c) => c.includes(`:${conn.localPort} `)), { timeoutMs: 15_000, intervalMs: 200 });

    const timeoutMs = 1_000;
    await l.client.streamStart(dr, { intervalMs: 20, timeoutMs });
    await sleep(1_000);
    const killedAt = await l.crash('lb1');
    await l.waitState('lb2', 'master', 30_000);
    const lb2Master = l.transitionTime('lb2', 'master', killedAt);
    await sleep(1_500);
    const records = await l.client.streamStop();
    const gap = analyseStream(records);
    log(`stream: ${gap.total} requests, ${gap.failed} failed, gap ${gap.gapMs} ms; lb2 master after ${lb2Master === undefined ? '?' : lb2Master - killedAt} ms`);

    expect(lb2Master).toBeDefined();
    const takeoverMs = (lb2Master ?? Infinity) - killedAt;
    // Master_Down_Interval is 3 adverts plus a skew under one advert (RFC 5798 6.1).
    expect(takeoverMs).toBeLessThanOrEqual(4 * VRRP.advertIntervalMs + 500);
    expect(records.filter((r) => r.t < killedAt - timeoutMs).every((r) => r.ok)).toBe(true);
    // Lost: only requests started between the crash (less one request timeout) and lb2's takeover
    // plus a second for its gratuitous ARP to reach the client under emulation.
    const lost = records.filter((r) => !r.ok);
    for (const r of lost) expect(r.t).toBeGreaterThanOrEqual(killedAt - timeoutMs);
    for (const r of lost) expect(r.t).toBeLessThanOrEqual(killedAt + takeoverMs + 1_000);
    expect(gap.failed).toBeLessThanOrEqual(gap.inGap);
    expect(gap.firstAfter).toBeDefined();
    expect(gap.gapMs).toBeLessThanOrEqual(takeoverMs + timeoutMs + 1_000);

    const again = await l.client.connRequest();
    expect(again.error).toBeUndefined();
    expect(again.by).toBe(conn.by);
  });

  it('after the failover every service still reaches every real server through lb2', async () => {
    const l = theLab();
    const macs = l.outerMacs();
    for (const s of SERVICES) {
      const capture = s.mode === 'nat' ? await startCapture(l.ns.client, 'eth0', `tcp and src host ${s.vip} and src port ${s.port}`) : undefined;
      const result = await l.client.burst(s, 24);
      expect(result.failed, result.errors.join('; ')).toBe(0);
      expect(Object.keys(result.hits).sort()).toEqual(realServerNames);
      if (capture) expect(Object.keys(countBySender(await capture.stop(), macs))).toEqual(['lb2']);
    }
  });

  it('lb1 comes back, preempts after its checks settle, and serves again', async () => {
    const l = theLab();
    const recoveredAt = Date.now();
    l.recover('lb1');
    await l.waitReady('lb1', 240_000);
    await l.waitState('lb1', 'master', 60_000);
    await l.waitState('lb2', 'backup', 10_000);
    const lb1Master = l.transitionTime('lb1', 'master', recoveredAt);
    log(`lb1 master again ${lb1Master === undefined ? '?' : lb1Master - recoveredAt} ms after restart`);
    const nat = byMode('nat');
    const macs = l.outerMacs();
    const capture = await startCapture(l.ns.client, 'eth0', `tcp and src host ${nat.vip} and src port ${nat.port}`);
    const result = await l.client.burst(nat, 12);
    expect(result.failed).toBe(0);
    expect(Object.keys(countBySender(await capture.stop(), macs))).toEqual(['lb1']);
  });

  it('with the sync daemon turned off by a reload, the same failover resets an established connection', async () => {
    // Without a synced entry lb2 takes the connection's next segment to its own TCP stack (the
    // VIP is local there), which resets it: the sync daemon, not luck, kept it alive above.
    const l = theLab();
    await l.reconfigure({ syncDaemon: false });
    for (const lb of loadBalancerNames) await waitFor(`${lb}'s sync daemons to stop`, () => l.ns[lb]?.exec('ipvsadm', ['-L', '--daemon']).trim() === '', { timeoutMs: 10_000, intervalMs: 200 });
    const conn = await l.client.connOpen(byMode('dr'));
    // Longer than the sync daemon's 2 s flush, so a sync daemon, were one running, would have sent it.
    await sleep(3_000);
    expect(l.ipvsConnections('lb2').some((c) => c.includes(`:${conn.localPort} `))).toBe(false);
    const killedAt = await l.crash('lb1');
    await l.waitState('lb2', 'master', 30_000);
    log(`without sync: lb2 master ${(l.transitionTime('lb2', 'master', killedAt) ?? NaN) - killedAt} ms after the crash`);
    // lb2's gratuitous ARPs must reach the client before the next segment goes to lb2.
    await sleep(1_500);
    const again = await l.client.connRequest();
    log(`request on the old connection: ${JSON.stringify(again)}`);
    expect(again.by).toBeUndefined();
    // Reset by lb2's own stack, not merely unanswered.
    expect(again.error).toMatch(/ECONNRESET/);
  });
});
