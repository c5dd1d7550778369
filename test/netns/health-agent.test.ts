// The agent check against a real agent in a namespace: the reply lines of HAProxy's agent-check
// protocol (up, drain, 50%, down#why, maint) reach the monitor over TCP and decide what the
// kernel should hold; an agent that stops answering changes nothing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { agentChecker } from '../../src/health/checkers/agent.js';
import { effectiveDestinations, type EffectService } from '../../src/health/effect.js';
import { HealthMonitor } from '../../src/health/monitor.js';
import type { AgentSpec, ProbeTarget, TcpCheck } from '../../src/health/types.js';
import type { NetnsProcess } from '../support/netns.mjs';
import { waitFor } from '../support/netns.mjs';
import { describeWith } from '../support/needs.js';
import { type HealthLab, createHealthLab } from './health-lab.js';

const AGENT_PORT = 8009;
const SERVICE_PORT = 8001;
/** Answers each connection with the first line of the reply file, or with the line after what it was sent. */
const AGENT = `
const net = require('node:net'); const fs = require('node:fs');
const [file, port, host] = process.argv.slice(1);
net.createServer((s) => {
  s.on('error', () => {});
  s.once('data', (d) => s.end(fs.readFileSync(file, 'utf8').split('\\n')[0] + ' ' + String(d).trim() + '\\n'));
  setTimeout(() => { if (!s.destroyed) s.end(fs.readFileSync(file, 'utf8')); }, 50);
}).listen(Number(port), host, () => console.log('ready'));
`;
/** The service the health check connects to: a process of its own, so it outlives the agent. */
const SERVICE = `require('node:net').createServer((s) => s.on('error', () => {})).listen(${SERVICE_PORT}, '::', () => console.log('ready'));`;

describeWith(['root', 'netns', 'dnsmasq', 'openssl'], 'agent check against a real agent', () => {
  let lab: HealthLab;
  let agent: NetnsProcess;
  let replyFile: string;
  const never = new AbortController().signal;
  const spec: AgentSpec = { port: AGENT_PORT, interval: 300, timeout: 250 };
  const target = (): ProbeTarget => ({ service: 'web', address: lab.rsAddr, port: 80 });
  const say = (line: string): void => writeFileSync(replyFile, `${line}\n`);

  beforeAll(async () => {
    lab = createHealthLab();
    replyFile = join(lab.tmp, 'agent-reply');
    say('up');
    agent = lab.ns.spawn(process.execPath, ['-e', AGENT, replyFile, String(AGENT_PORT), '::']);
    await agent.waitForOutput(/^ready$/m, 10_000);
    await lab.ns.spawn(process.execPath, ['-e', SERVICE]).waitForOutput(/^ready$/m, 10_000);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  it('reads the reply over IPv4 and IPv6, after sending `send` when set', async () => {
    say('drain 50%');
    expect(await agentChecker(target(), spec, never)).toMatchObject({ ok: true, agentReply: { admin: 'drain', percent: 50 } });
    expect(await agentChecker({ ...target(), address: lab.rsAddr6 }, spec, never)).toMatchObject({ ok: true, agentReply: { admin: 'drain' } });
    say('maint');
    expect(await agentChecker(target(), { ...spec, send: 'status web\n' }, never)).toMatchObject({ ok: true, agentReply: { admin: 'maint', note: 'ignored status web' } });
  });

  it('a closed agent port or a silent host is "not reached", never a verdict', async () => {
    expect(await agentChecker(target(), { ...spec, port: 9 }, never)).toMatchObject({ ok: false, reason: 'refused' });
    const silent = await agentChecker({ ...target(), address: lab.silentAddr }, spec, never);
    expect(silent).toMatchObject({ ok: false, reason: 'timeout' });
    expect(silent.agentReply).toBeUndefined();
  });

  it('drives the destination: up, 50%, drain, down#why, and kept as it was when the agent goes away', async () => {
    const tcp: TcpCheck = { type: 'tcp', interval: 300, timeout: 250, rise: 1, fall: 1, warmup: 0 };
    const monitor = new HealthMonitor({ jitter: 0 });
    const service: EffectService = {
      realServers: [{ destination: { address: lab.rsAddr, port: SERVICE_PORT, weight: 100 }, checked: true }],
      onFailure: 'remove',
      quorum: 0,
      quorumHysteresis: 0,
    };
    const kernelWeight = (): number | undefined => effectiveDestinations(service, monitor.statesFor('web'), new Map()).destinations[0]?.weight;
    const expectWeight = (label: string, weight: number | undefined) =>
      waitFor(`${label}: weight ${String(weight)}`, () => kernelWeight() === weight, { timeoutMs: 5_000, intervalMs: 50 });
    try {
      say('up ready 100%');
      monitor.update([{ service: 'web', address: lab.rsAddr, port: SERVICE_PORT, check: tcp, agent: spec }]);
      monitor.start();
      await expectWeight('up', 100);
      say('50%');
      await expectWeight('half', 50);
      say('drain');
      await expectWeight('drain', 0);
      say('ready down#disk full');
      await expectWeight('down', undefined);
      expect(monitor.statesFor('web').get(`${lab.rsAddr}:${SERVICE_PORT}`)?.agent?.reason).toMatch(/^down 50%: disk full/);
      say('up 100%');
      await expectWeight('back', 100);
      say('75%');
      await expectWeight('75%', 75);
      // The agent stops; its last word stands while the health check still passes.
      await agent.stop(5_000);
      await waitFor('agent unreachable', () => /unreachable/.test(monitor.statesFor('web').get(`${lab.rsAddr}:${SERVICE_PORT}`)?.agent?.reason ?? ''), { timeoutMs: 5_000, intervalMs: 50 });
      expect(kernelWeight()).toBe(75);
    } finally {
      monitor.stop();
    }
  });
});
