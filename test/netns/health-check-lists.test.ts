// The richer checks against real listeners in a namespace, each with a down and an up case:
// HTTP with several URLs (one wrong -> down), an mTLS backend (no client certificate -> down,
// with one -> up), PING over IPv4 and IPv6 (answering address up, silent one down, ping(8)'s
// replies on the same host ignored), and a real server with two checks where one fails -> down,
// named in its status.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { httpChecker } from '../../src/health/checkers/http.js';
import { pinger, pingChecker } from '../../src/health/checkers/ping.js';
import { HealthMonitor } from '../../src/health/monitor.js';
import type { CheckCommon, HttpCheck, PingCheck, ProbeTarget, TcpCheck } from '../../src/health/types.js';
import { describeWith } from '../support/needs.js';
import { type HealthLab, type TestPki, createHealthLab, setHttpAnswer, startServers, testPki } from './health-lab.js';

const common: CheckCommon = { interval: 1000, timeout: 400, rise: 1, fall: 1, warmup: 0 };
const never = new AbortController().signal;
const ports = { tcp: 8001, http: 8080, mtls: 8444, closed: 9 };

type PlainHttp = Extract<HttpCheck, { type: 'http' }>;
type Https = Extract<HttpCheck, { type: 'https' }>;

describeWith(['root', 'netns', 'openssl', 'ping', 'dnsmasq'], 'check lists, HTTP urls, mTLS and PING against real listeners', () => {
  let lab: HealthLab;
  let pki: TestPki;
  let stateFile: string;
  const rs = (port: number, address?: string): ProbeTarget => ({ service: 'web', address: address ?? lab.rsAddr, port });
  const silent6 = (): string => lab.rsAddr6.replace(/::2$/, '::99');

  beforeAll(async () => {
    lab = createHealthLab();
    stateFile = join(lab.tmp, 'http.json');
    setHttpAnswer(stateFile, 200, 'healthy');
    pki = testPki(lab.tmp, 'rs.svc.test');
    await startServers(lab, { tcp: ports.tcp, http: ports.http, mtls: ports.mtls, stateFile, cert: pki.serverCert, key: pki.serverKey, clientCa: pki.ca });
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  const urls = (extra: Partial<PlainHttp> = {}): PlainHttp => ({
    ...common,
    type: 'http',
    method: 'GET',
    headers: { 'X-Probe': 'lvsd-7' },
    urls: [
      { path: '/healthz', expect_status: ['200-299'], expect_body: '^healthy$' },
      { path: '/ready', expect_status: [200, 204], expect_digest: createHash('md5').update('ready probe=lvsd-7').digest('hex') },
    ],
    ...extra,
  });

  it('HTTP: every URL must answer its status and digest; one wrong URL takes the check down and is named', async () => {
    setHttpAnswer(stateFile, 200, 'healthy', { '/ready': { status: 200, body: 'ready probe={x-probe}' } });
    expect(await httpChecker(rs(ports.http), urls(), never)).toMatchObject({ ok: true, reason: '2 urls passed' });
    setHttpAnswer(stateFile, 200, 'healthy', { '/ready': { status: 503, body: 'ready probe={x-probe}' } });
    expect(await httpChecker(rs(ports.http), urls(), never)).toMatchObject({ ok: false, reason: '/ready: status 503' });
    // The header is sent: without it the body (and so the MD5 digest) differs.
    setHttpAnswer(stateFile, 200, 'healthy', { '/ready': { status: 200, body: 'ready probe={x-probe}' } });
    expect(await httpChecker(rs(ports.http), urls({ headers: { 'X-Probe': 'other' } }), never)).toMatchObject({ ok: false, reason: '/ready: digest mismatch' });
    // A range: 301 is outside 200-299.
    setHttpAnswer(stateFile, 301, 'moved', { '/ready': { status: 200, body: 'ready probe={x-probe}' } });
    expect(await httpChecker(rs(ports.http), urls(), never)).toMatchObject({ ok: false, reason: '/healthz: status 301' });
    setHttpAnswer(stateFile, 200, 'healthy');
  });

  it('HTTPS mTLS: a backend that demands a client certificate is down without one and up with one', async () => {
    const mtls = (extra: Partial<Https> = {}): Https => ({
      ...common, type: 'https', method: 'GET', path: '/', expect_status: [200], tls_verify: true, host: 'rs.svc.test', ca: pki.ca, ...extra,
    });
    const without = await httpChecker(rs(ports.mtls), mtls(), never);
    expect(without.ok).toBe(false);
    // The server ends the handshake (TLS 1.3 alert after the client's Finished) or the connection.
    expect(without.reason).toMatch(/tls|reset|alert|certificate|socket hang up/i);
    expect(await httpChecker(rs(ports.mtls), mtls({ client_cert: pki.clientCert, client_key: pki.clientKey }), never)).toMatchObject({ ok: true, reason: 'status 200' });
    // Verified against the check's CA over IPv6 too; a CA that did not sign the server fails it.
    expect(await httpChecker(rs(ports.mtls, lab.rsAddr6), mtls({ client_cert: pki.clientCert, client_key: pki.clientKey }), never)).toMatchObject({ ok: true });
    expect(await httpChecker(rs(ports.mtls), mtls({ ca: pki.clientCert, client_cert: pki.clientCert, client_key: pki.clientKey }), never)).toMatchObject({ ok: false });
  });

  it('PING: IPv4 and IPv6 echo replies are up, silent addresses are down, replies to ping(8) are ignored', async () => {
    const ping: PingCheck = { ...common, type: 'ping', timeout: 300 };
    const before = { ...pinger.counters };
    // Two pings towards silent addresses keep both sockets open for 1.5 s, while ping(8) on the
    // same host sends its own echoes: their replies reach our raw sockets too.
    const slow = { ...ping, timeout: 1500 };
    const downs = Promise.all([pingChecker(rs(0, lab.silentAddr), slow, never), pingChecker(rs(0, silent6()), slow, never)]);
    const others = [lab.rsAddr, lab.rsAddr6].map((a) => spawn('ping', ['-c', '5', '-i', '0.05', '-W', '1', a], { stdio: 'ignore' }));
    const exited = Promise.all(others.map((p) => new Promise((r) => p.once('exit', r))));
    try {
      for (let i = 0; i < 4; i++) {
        const [v4, v6] = await Promise.all([pingChecker(rs(0), ping, never), pingChecker(rs(0, lab.rsAddr6), ping, never)]);
        expect(v4).toMatchObject({ ok: true, reason: 'echo reply' });
        expect(v6).toMatchObject({ ok: true, reason: 'echo reply' });
        await new Promise((r) => setTimeout(r, 50));
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1200))]);
    } finally {
      for (const p of others) p.kill();
    }
    const [down4, down6] = await downs;
    expect(down4).toMatchObject({ ok: false, reason: 'no echo reply (timeout)' });
    expect(down6).toMatchObject({ ok: false, reason: 'no echo reply (timeout)' });
    expect(pinger.counters.replies - before.replies).toBe(8);
    expect(pinger.counters.foreign - before.foreign).toBeGreaterThan(0);
    // From a chosen source address as well.
    expect(await pingChecker(rs(0), { ...ping, source: lab.probeAddr }, never)).toMatchObject({ ok: true });
  });

  it('two checks on one real server: down while one fails (and named), up once both pass', async () => {
    const timing = { interval: 150, timeout: 100, rise: 1, fall: 1, warmup: 0 };
    const tcp: TcpCheck = { ...timing, type: 'tcp', port: ports.tcp };
    const http: PlainHttp = { ...timing, type: 'http', method: 'GET', path: '/ready', expect_status: [200] };
    const ping: PingCheck = { ...timing, type: 'ping' };
    const monitor = new HealthMonitor({ jitter: 0 });
    setHttpAnswer(stateFile, 200, 'healthy', { '/ready': { status: 503, body: 'not yet' } });
    monitor.update([{ service: 'web', address: lab.rsAddr, port: ports.http, check: [tcp, http, ping] }]);
    monitor.start();
    try {
      const status = () => monitor.status()[0];
      await until(() => status()?.checks.every((c) => !c.pending) ?? false);
      expect(status()).toMatchObject({
        check: 'tcp+http+ping',
        state: { up: false, reason: 'http /ready: status 503' },
        checks: [{ label: 'tcp:8001', up: true }, { label: 'http /ready', up: false, reason: 'status 503' }, { label: 'ping', up: true }],
      });
      setHttpAnswer(stateFile, 200, 'healthy');
      await until(() => status()?.state.up ?? false);
      expect(status()?.state).toMatchObject({ up: true, reason: 'all 3 checks passed' });
    } finally {
      monitor.stop();
    }
  });
});

/** Polls `done` every 50 ms for at most 5 s. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(done()).toBe(true);
}
