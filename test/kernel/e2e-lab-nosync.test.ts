// The control for e2e-lab's connection-sync test: the same lab with ipvs.sync_daemon off. lb2
// then has no entry for a connection lb1 was forwarding, so after the failover the next segment
// of that connection reaches lb2's own TCP stack (the VIP is local there) and is reset. This is
// what proves that the sync daemon, not luck, keeps the connection in e2e-lab.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { sleep } from '../support/netns.mjs';
import { SERVICES } from '../lab/plan.mjs';
import { Lab } from '../lab/topology.mjs';

describeWith(['root', 'netns', 'ipvs', 'ipvsadm', 'tcpdump'], 'E2E lab without connection sync', () => {
  let lab: Lab | undefined;
  const log = (line: string): void => console.log(`[e2e-lab-nosync] ${line}`);

  beforeAll(async () => {
    // Only the DR service is exercised; the shell script prepares every real server (fast, no node).
    lab = await Lab.build({ log, syncDaemon: false, preparation: { rs1: 'script', rs2: 'script', rs3: 'script' } });
    await lab.waitDaemons();
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('an established connection is reset after failover when lb2 has no synced entry for it', async () => {
    if (!lab) throw new Error('the lab was not built');
    const dr = SERVICES.find((s) => s.mode === 'dr');
    if (!dr) throw new Error('no DR service in the lab plan');
    const conn = await lab.client.connOpen(dr);
    // Longer than the sync daemon's 2 s flush, so a sync daemon, were one running, would have sent it.
    await sleep(3_000);
    expect(lab.ipvsConnections('lb2').some((c) => c.includes(`:${conn.localPort} `))).toBe(false);
    const killedAt = await lab.crash('lb1');
    await lab.waitState('lb2', 'master', 30_000);
    log(`lb2 master ${(lab.transitionTime('lb2', 'master', killedAt) ?? NaN) - killedAt} ms after the crash`);
    // lb2's gratuitous ARPs must reach the client before the next segment goes to lb2.
    await sleep(1_500);
    const again = await lab.client.connRequest();
    log(`request on the old connection: ${JSON.stringify(again)}`);
    expect(again.by).toBeUndefined();
    // Reset by lb2's own stack, not merely unanswered.
    expect(again.error).toMatch(/ECONNRESET/);
  });
});
