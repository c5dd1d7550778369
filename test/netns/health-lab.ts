// The health tests' lab: one namespace "rs" holding the real servers, joined to the root
// namespace (where the test process and its probes run) by a veth pair on a /24 picked at
// random from 198.19.64.0-198.19.254.0 (plus a 2001:2:0:<n>::/64), so the probes go over a
// real link without the test process having to enter a namespace.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Netns, NetnsLab, type NetnsProcess, assertTestAddress, run } from '../support/netns.mjs';

const serversScript = fileURLToPath(new URL('../fixtures/health/servers.mjs', import.meta.url));

export interface HealthLab {
  ns: Netns;
  /** Addresses of the root end (the prober). */
  probeAddr: string;
  probeAddr6: string;
  /** Real-server addresses inside the namespace. */
  rsAddr: string;
  rsAddr6: string;
  /** An address on the link that nothing answers (ARP fails: probes time out). */
  silentAddr: string;
  /** Scratch directory for state files, certificates, pid files. */
  tmp: string;
  cleanup(): Promise<void>;
}

export function createHealthLab(): HealthLab {
  const lab = new NetnsLab('health');
  const ns = lab.ns('rs');
  const subnet = freeSubnet();
  const rootIf = `lvh${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
  const probeAddr = `198.19.${subnet}.1`;
  const rsAddr = `198.19.${subnet}.2`;
  const probeAddr6 = `2001:2:0:${subnet.toString(16)}::1`;
  const rsAddr6 = `2001:2:0:${subnet.toString(16)}::2`;
  const tmp = mkdtempSync(join(tmpdir(), 'lvsd-health-'));
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    run('ip', ['link', 'del', rootIf], { allowFailure: true });
    await lab.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    for (const a of [probeAddr, rsAddr, probeAddr6, rsAddr6]) assertTestAddress(a);
    run('ip', ['link', 'add', rootIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
    run('ip', ['link', 'set', rootIf, 'up']);
    run('ip', ['addr', 'add', `${probeAddr}/24`, 'dev', rootIf]);
    run('ip', ['addr', 'add', `${probeAddr6}/64`, 'dev', rootIf, 'nodad']);
    ns.ip('link', 'set', 'eth0', 'up');
    ns.addr('eth0', `${rsAddr}/24`);
    ns.addr('eth0', `${rsAddr6}/64`);
  } catch (err) {
    void cleanup();
    throw err;
  }
  return { ns, probeAddr, probeAddr6, rsAddr, rsAddr6, silentAddr: `198.19.${subnet}.99`, tmp, cleanup };
}

/** A third octet in 64..254 whose 198.19.<n>.0/24 no route in the root namespace uses yet. */
function freeSubnet(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const n = 64 + Math.floor(Math.random() * 191);
    if (run('ip', ['-4', 'route', 'show', 'match', `198.19.${n}.1/32`]).stdout.includes(`198.19.${n}.0/24`)) continue;
    return n;
  }
  throw new Error('no free 198.19.x.0/24 for the health lab');
}

/**
 * Milliseconds this thread has spent runnable but waiting for a CPU (/proc schedstat). Timing
 * bounds add the wait accrued during a measurement: on a shared, overloaded machine the test
 * process can be descheduled for hundreds of milliseconds, which says nothing about lvsd.
 */
export function cpuWaitMs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
}

export interface ServersConfig {
  tcp?: number;
  http?: number;
  https?: number;
  udp?: number;
  /** HTTPS that demands a client certificate signed by clientCa (mTLS), with cert/key. */
  mtls?: number;
  /** HTTP(S) answer: rewrite with setHttpAnswer. */
  stateFile?: string;
  cert?: string;
  key?: string;
  clientCa?: string;
}

/** Starts the fixture listeners inside the namespace and waits until they are bound. */
export async function startServers(lab: HealthLab, cfg: ServersConfig): Promise<NetnsProcess> {
  const proc = lab.ns.spawn(process.execPath, [serversScript, JSON.stringify(cfg)]);
  await proc.waitForOutput(/^ready$/m, 10_000);
  return proc;
}

/** The answer of every path, but those in `paths`. */
export function setHttpAnswer(stateFile: string, status: number, body: string, paths: Record<string, { status: number; body: string }> = {}): void {
  writeFileSync(stateFile, JSON.stringify({ status, body, paths }));
}

/** A self-signed certificate for `name`, made with openssl; undefined when openssl is missing. */
export function selfSignedCert(dir: string, name: string): { cert: string; key: string } | undefined {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = run(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-keyout', key, '-out', cert],
    { allowFailure: true },
  );
  return r.status === 0 && existsSync(cert) ? { cert, key } : undefined;
}

export interface TestPki {
  ca: string;
  /** Server certificate for the given name and its key, signed by ca. */
  serverCert: string;
  serverKey: string;
  /** Client certificate (CN lvsd) and its key, signed by ca. */
  clientCert: string;
  clientKey: string;
}

/** A CA and a server and a client certificate signed by it, made with openssl in `dir`. */
export function testPki(dir: string, serverName: string): TestPki {
  const f = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void run('openssl', args);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-days', '1', '-subj', '/CN=lvsd test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  const leaf = (name: string, subject: string, ext: string): void => {
    openssl('req', ...ec, '-subj', subject, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    writeFileSync(f(`${name}.ext`), ext);
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
  };
  leaf('server', `/CN=${serverName}`, `subjectAltName=DNS:${serverName}\nextendedKeyUsage=serverAuth\n`);
  leaf('client', '/CN=lvsd', 'extendedKeyUsage=clientAuth\n');
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

/** Starts dnsmasq in the namespace: *.svc.test A 198.18.2.53, mx.test MX "10 mail.svc.test", gone.test NXDOMAIN. */
export async function startDnsmasq(lab: HealthLab): Promise<NetnsProcess> {
  const proc = lab.ns.spawn('dnsmasq', [
    '--no-daemon',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--address=/svc.test/198.18.2.53',
    '--address=/gone.test/',
    '--mx-host=mx.test,mail.svc.test,10',
    `--listen-address=${lab.rsAddr}`,
    '--bind-interfaces',
    '--port=53',
    `--pid-file=${join(lab.tmp, 'dnsmasq.pid')}`,
    '--log-queries',
    '--log-facility=-',
  ]);
  await proc.waitForOutput(/started, version/, 10_000);
  return proc;
}
