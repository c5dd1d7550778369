// Each checker against real listeners in a namespace, over a veth from the root namespace:
// up on the right answer, down with the right reason when the listener stops or answers wrong.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dnsChecker } from '../../src/health/checkers/dns.js';
import { httpChecker } from '../../src/health/checkers/http.js';
import { tcpChecker } from '../../src/health/checkers/tcp.js';
import { udpChecker } from '../../src/health/checkers/udp.js';
import type { CheckCommon, DnsCheck, HttpCheck, ProbeResult, ProbeTarget, TcpCheck, UdpCheck } from '../../src/health/types.js';
import type { NetnsProcess } from '../support/netns.mjs';
import { describeWith } from '../support/needs.js';
import { type HealthLab, createHealthLab, selfSignedCert, setHttpAnswer, startDnsmasq, startServers } from './health-lab.js';

const common: CheckCommon = { interval: 1000, timeout: 500, rise: 1, fall: 1, warmup: 0 };
const never = new AbortController().signal;
const ports = { tcp: 8001, http: 8080, https: 8443, udp: 5353, closed: 9 };

describeWith(['root', 'netns', 'dnsmasq', 'openssl'], 'health checkers against real listeners', () => {
  let lab: HealthLab;
  let servers: NetnsProcess;
  let dnsmasq: NetnsProcess;
  let stateFile: string;
  let tlsAvailable = false;
  const rs = (port: number, address?: string): ProbeTarget => ({ service: 'web', address: address ?? lab.rsAddr, port });

  beforeAll(async () => {
    lab = createHealthLab();
    stateFile = join(lab.tmp, 'http.json');
    setHttpAnswer(stateFile, 200, 'healthy');
    const tls = selfSignedCert(lab.tmp, 'rs.svc.test');
    tlsAvailable = tls !== undefined;
    servers = await startServers(lab, { tcp: ports.tcp, http: ports.http, udp: ports.udp, stateFile, ...(tls ? { https: ports.https, ...tls } : {}) });
    dnsmasq = await startDnsmasq(lab);
  });
  afterAll(async () => {
    await lab?.cleanup();
  });

  const tcp = (extra: Partial<TcpCheck> = {}): TcpCheck => ({ ...common, type: 'tcp', ...extra });
  type PlainHttp = Extract<HttpCheck, { type: 'http' }>;
  type Https = Extract<HttpCheck, { type: 'https' }>;
  const http = (extra: Partial<PlainHttp> = {}): PlainHttp => ({ ...common, type: 'http', method: 'GET', path: '/', expect_status: [200], ...extra });
  const https = (extra: Partial<Https> = {}): Https => ({ ...common, type: 'https', method: 'GET', path: '/', expect_status: [200], tls_verify: true, host: 'rs.svc.test', ...extra });
  const dns = (extra: Partial<DnsCheck> = {}): DnsCheck => ({ ...common, type: 'dns', query_name: 'www.svc.test', query_type: 'A', expect_rcode: 'NOERROR', ...extra });
  const udp = (extra: Partial<UdpCheck> = {}): UdpCheck => ({ ...common, type: 'udp', send: 'ping', ...extra });

  it('TCP: connects over IPv4 and IPv6, from a chosen source, and with send/expect', async () => {
    expect(await tcpChecker(rs(ports.tcp), tcp(), never)).toMatchObject({ ok: true, reason: 'connected' });
    expect(await tcpChecker(rs(ports.tcp, lab.rsAddr6), tcp(), never)).toMatchObject({ ok: true });
    expect(await tcpChecker(rs(ports.tcp), tcp({ source: lab.probeAddr }), never)).toMatchObject({ ok: true });
    expect(await tcpChecker(rs(ports.tcp), tcp({ send: 'PING\r\n', expect: 'PING' }), never)).toMatchObject({ ok: true, reason: 'expected reply' });
    // The real server port is unused; the check port is.
    expect(await tcpChecker(rs(ports.closed), tcp({ port: ports.tcp }), never)).toMatchObject({ ok: true });
  });

  it('TCP: refused on a closed port, timeout towards a silent address, bad source reported', async () => {
    expect(await tcpChecker(rs(ports.closed), tcp(), never)).toMatchObject({ ok: false, reason: 'refused' });
    const silent = await tcpChecker(rs(ports.tcp, lab.silentAddr), tcp({ timeout: 300 }), never);
    expect(silent).toMatchObject({ ok: false, reason: 'timeout' });
    expect(silent.durationMs).toBeGreaterThanOrEqual(290);
    expect(silent.durationMs).toBeLessThan(800);
    expect(await tcpChecker(rs(ports.tcp), tcp({ source: '198.19.255.254' }), never)).toMatchObject({ ok: false, reason: 'source address not available' });
    expect(await tcpChecker(rs(ports.tcp), tcp({ send: 'PING', expect: 'PONG', timeout: 200 }), never)).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('TCP: a stalled event loop does not turn a connect that completed meanwhile into a timeout', async () => {
    // From a setImmediate callback (as from any socket callback), the next loop turn runs timers
    // before it polls sockets: a naive 100 ms timer would win against the finished handshake.
    const result = await new Promise<ProbeResult>((resolve) => {
      setImmediate(() => {
        void tcpChecker(rs(ports.tcp), tcp({ timeout: 100 }), never).then(resolve);
        // Queued after net.connect's own nextTick: connect(2) is issued, the reply not yet read.
        process.nextTick(() => {
          const until = performance.now() + 400;
          while (performance.now() < until);
        });
      });
    });
    expect(result).toMatchObject({ ok: true, reason: 'connected' });
    expect(result.durationMs).toBeGreaterThanOrEqual(400);
  });

  it('HTTP: status list, body regex, digest, Host header, IPv6', async () => {
    setHttpAnswer(stateFile, 200, 'healthy');
    const digest = createHash('sha256').update('healthy').digest('hex');
    expect(await httpChecker(rs(ports.http), http(), never)).toMatchObject({ ok: true, reason: 'status 200' });
    expect(await httpChecker(rs(ports.http), http({ expect_body: '^heal' }), never)).toMatchObject({ ok: true, reason: 'body matched' });
    setHttpAnswer(stateFile, 200, 'host={host}');
    expect(await httpChecker(rs(ports.http), http({ expect_body: '^host=www\\.svc\\.test$', host: 'www.svc.test' }), never)).toMatchObject({ ok: true });
    setHttpAnswer(stateFile, 200, 'healthy');
    expect(await httpChecker(rs(ports.http), http({ expect_digest: digest }), never)).toMatchObject({ ok: true });

    setHttpAnswer(stateFile, 503, 'maintenance');
    expect(await httpChecker(rs(ports.http), http(), never)).toMatchObject({ ok: false, reason: 'status 503' });
    expect(await httpChecker(rs(ports.http), http({ expect_status: [200, 503] }), never)).toMatchObject({ ok: true });

    setHttpAnswer(stateFile, 200, 'degraded');
    expect(await httpChecker(rs(ports.http), http({ expect_body: '^heal' }), never)).toMatchObject({ ok: false, reason: 'body mismatch' });
    expect(await httpChecker(rs(ports.http), http({ expect_digest: digest }), never)).toMatchObject({ ok: false, reason: 'digest mismatch' });
    setHttpAnswer(stateFile, 200, 'healthy');

    expect(await httpChecker(rs(ports.http, lab.rsAddr6), http({ expect_body: '^heal' }), never)).toMatchObject({ ok: true });
    expect(await httpChecker(rs(ports.closed), http(), never)).toMatchObject({ ok: false, reason: 'refused' });
    expect(await httpChecker(rs(ports.http, lab.silentAddr), http({ timeout: 300 }), never)).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('HTTPS: a self-signed certificate fails with verify on and passes with verify off (SNI sent)', async (ctx) => {
    if (!tlsAvailable) ctx.skip(); // openssl missing: printed by vitest as skipped
    const verified = await httpChecker(rs(ports.https), https({ tls_verify: true }), never);
    expect(verified).toMatchObject({ ok: false, reason: 'tls: DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(await httpChecker(rs(ports.https), https({ tls_verify: false }), never)).toMatchObject({ ok: true, reason: 'status 200' });
    expect(await httpChecker(rs(ports.https), https({ tls_verify: false, sni: 'other.test', expect_body: 'healthy' }), never)).toMatchObject({ ok: true });
    // Plain HTTP against the TLS port: the server drops it, the check does not hang.
    expect(await httpChecker(rs(ports.https), http(), never)).toMatchObject({ ok: false });
  });

  it('DNS: NOERROR with the expected answer is up; NXDOMAIN, wrong answer, stopped server are down', async () => {
    expect(await dnsChecker(rs(53), dns(), never)).toMatchObject({ ok: true, reason: 'rcode NOERROR' });
    expect(await dnsChecker(rs(53), dns({ expect_answer: '198.18.2.53' }), never)).toMatchObject({ ok: true, reason: 'answer matched' });
    expect(await dnsChecker(rs(53), dns({ expect_answer: '198.18.2.54' }), never)).toMatchObject({ ok: false, reason: 'answer mismatch' });
    expect(await dnsChecker(rs(53), dns({ expect_answer: '198.18.2.5' }), never)).toMatchObject({ ok: false, reason: 'answer mismatch' });
    const mx = (expect_answer: string) => dns({ query_name: 'mx.test', query_type: 'MX', expect_answer });
    expect(await dnsChecker(rs(53), mx('mail.svc.test.'), never)).toMatchObject({ ok: true, reason: 'answer matched' });
    expect(await dnsChecker(rs(53), mx('10 mail.svc.test'), never)).toMatchObject({ ok: true });
    expect(await dnsChecker(rs(53), mx('mail.svc'), never)).toMatchObject({ ok: false, reason: 'answer mismatch' });
    expect(await dnsChecker(rs(53), dns({ query_name: 'www.gone.test' }), never)).toMatchObject({ ok: false, reason: 'rcode NXDOMAIN' });
    expect(await dnsChecker(rs(53), dns({ query_name: 'www.gone.test', expect_rcode: 'NXDOMAIN' }), never)).toMatchObject({ ok: true });
    expect(await dnsChecker(rs(53), dns({ source: lab.probeAddr }), never)).toMatchObject({ ok: true });
    expect(await dnsChecker(rs(53), dns({ source: '198.19.255.254' }), never)).toMatchObject({ ok: false, reason: 'source address not available' });
    expect(await dnsChecker(rs(53, lab.silentAddr), dns({ timeout: 300 }), never)).toMatchObject({ ok: false, reason: 'timeout' });
    await dnsmasq.stop();
    // Port 53 now closed: the ICMP port unreachable fails the probe well before the timeout.
    const stopped = await dnsChecker(rs(53), dns({ timeout: 2000 }), never);
    expect(stopped).toMatchObject({ ok: false, reason: 'refused' });
    expect(stopped.durationMs).toBeLessThan(500);
  });

  it('UDP: expected reply is up (IPv4, IPv6 from a chosen source); closed port is down on the ICMP error; silence is up without expect', async () => {
    expect(await udpChecker(rs(ports.udp), udp({ expect: 'echo:ping' }), never)).toMatchObject({ ok: true, reason: 'expected reply' });
    expect(await udpChecker(rs(ports.udp), udp({ expect: 'pong' }), never)).toMatchObject({ ok: false, reason: 'reply mismatch' });
    expect(await udpChecker(rs(ports.udp), udp(), never)).toMatchObject({ ok: true, reason: 'reply' });
    expect(await udpChecker(rs(ports.udp, lab.rsAddr6), udp({ expect: 'echo:ping', source: lab.probeAddr6 }), never)).toMatchObject({ ok: true });
    expect(await udpChecker(rs(ports.udp), udp({ source: '198.19.255.254' }), never)).toMatchObject({ ok: false, reason: 'source address not available' });
    const closed = await udpChecker(rs(ports.closed), udp({ timeout: 2000 }), never);
    expect(closed).toMatchObject({ ok: false, reason: 'refused' });
    expect(closed.durationMs).toBeLessThan(500);
    const silent = await udpChecker(rs(ports.udp, lab.silentAddr), udp({ timeout: 300 }), never);
    expect(silent).toMatchObject({ ok: true, reason: 'no ICMP error within timeout' });
    expect(await udpChecker(rs(ports.udp, lab.silentAddr), udp({ timeout: 300, expect: 'echo' }), never)).toMatchObject({ ok: false, reason: 'no reply' });
  });

  it('TCP: a stopped listener is refused', async () => {
    await servers.stop();
    expect(await tcpChecker(rs(ports.tcp), tcp(), never)).toMatchObject({ ok: false, reason: 'refused' });
    expect(await httpChecker(rs(ports.http), http(), never)).toMatchObject({ ok: false, reason: 'refused' });
  });
});
