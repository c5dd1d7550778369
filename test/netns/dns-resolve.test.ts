// Real servers by DNS name against real nameservers in a namespace: dnsmasq serving a hosts file
// the test edits (re-read on SIGHUP) for a move and NXDOMAIN, and a small misbehaving server in
// this file for SERVFAIL, silence (timeout) and a truncated UDP answer (TC set: c-ares must ask
// again over TCP). Then a whole daemon (in-memory IPVS, in-process VRRP) follows a move: the new
// address is checked, then added, the old one drained and gone, the move logged, `status` and
// /metrics show the name; a restart with the name failing starts at the saved address.
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.js';
import { NameFollower } from '../../src/resolve/follower.js';
import { caresLookup } from '../../src/resolve/lookup.js';
import type { LookupOutcome } from '../../src/resolve/types.js';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { FakeIpvsKernel } from '../support/fake-ipvs-kernel.js';
import { describeWith } from '../support/needs.js';
import { type NetnsProcess, waitFor } from '../support/netns.mjs';
import { inProcessVrrp, logSink } from '../unit/daemon/vrrp-fakes.js';
import { type HealthLab, createHealthLab } from './health-lab.js';

const RS_PORT = 8001;

/** A DNS server that answers by name: A records over TCP only (UDP says TC), SERVFAIL, or nothing. */
class OddNameserver {
  udpQueries = 0;
  tcpQueries = 0;
  private constructor(
    private readonly udp: Socket,
    private readonly tcp: Server,
    readonly address: string,
    readonly port: number,
  ) {}

  static async start(address: string, bigAnswer: string[]): Promise<OddNameserver> {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, address, resolve));
    const port = udp.address().port;
    const tcp = createServer((s) => {
      s.on('error', () => undefined);
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        ns.tcpQueries++;
        const reply = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)), false);
        if (!reply) return;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(reply.length);
        s.end(Buffer.concat([len, reply]));
      });
    });
    await new Promise<void>((resolve) => tcp.listen(port, address, resolve));
    const answer = (q: Buffer, overUdp: boolean): Buffer | undefined => {
      const { name, end } = readName(q, 12);
      if (name.startsWith('silent.')) return undefined;
      if (name.startsWith('servfail.')) return reply(q, end, 2, false, []);
      if (name.startsWith('big.')) return overUdp ? reply(q, end, 0, true, []) : reply(q, end, 0, false, bigAnswer);
      return reply(q, end, 3, false, []);
    };
    const ns = new OddNameserver(udp, tcp, address, port);
    udp.on('message', (msg, rinfo) => {
      ns.udpQueries++;
      const r = answer(msg, true);
      if (r) udp.send(r, rinfo.port, rinfo.address);
    });
    return ns;
  }

  close(): void {
    this.udp.close();
    this.tcp.close();
  }
}

function readName(msg: Buffer, at: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = at;
  while (i < msg.length && msg[i] !== 0) {
    const len = msg[i] as number;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), end: i + 1 + 4 };
}

/** RFC 1035 4.1: the query's id and question, QR AA RA, the rcode, TC when asked, A records (TTL 5). */
function reply(q: Buffer, questionEnd: number, rcode: number, truncated: boolean, addresses: string[]): Buffer {
  const header = Buffer.alloc(12);
  q.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8000 | 0x0400 | (truncated ? 0x0200 : 0) | (q.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((a) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(5, 6);
    rr.writeUInt16BE(4, 10);
    a.split('.').forEach((o, k) => rr.writeUInt8(Number(o), 12 + k));
    return rr;
  });
  return Buffer.concat([header, q.subarray(12, questionEnd), ...answers]);
}

describeWith(['root', 'netns', 'dnsmasq', 'openssl'], 'real servers by DNS name against real nameservers', () => {
  let lab: HealthLab;
  let dnsmasq: NetnsProcess;
  let odd: OddNameserver;
  let hostsFile: string;
  let rs2: string;

  /** Rewrites dnsmasq's hosts file and has it re-read (SIGHUP); returns when the signal is sent. */
  const hosts = (lines: string[]): number => {
    writeFileSync(hostsFile, `${lines.join('\n')}\n`);
    // ip netns exec execs dnsmasq: the child is dnsmasq itself.
    process.kill(dnsmasq.pid as number, 'SIGHUP');
    return performance.now();
  };

  /** Waits until dnsmasq answers `name` with `address` (it re-reads the hosts file a moment after the SIGHUP). */
  const answers = (name: string, address: string): Promise<unknown> => {
    const dns = caresLookup({ nameservers: [lab.rsAddr], timeout: 500, retries: 1 });
    return waitFor(`dnsmasq to answer ${address}`, async () => (await dns.lookup(name, 4)).records.some((r) => r.address === address), { timeoutMs: 5_000, intervalMs: 50 });
  };

  const config = (resolver: object): Config => {
    const r = parseConfigText(
      JSON.stringify({ node: { name: 'lb1' }, resolver, services: [{ name: 'web', vip: '198.18.0.100', port: 80, real_servers: [{ address: 'app1.lab.test' }] }] }),
      'c.yaml',
    );
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
    return r.config;
  };

  /** A follower on `resolver`, recording what it logs and when the config would change. */
  const follow = (resolver: object, name = 'app1.lab.test') => {
    const c = config(resolver);
    const withName: Config = { ...c, services: c.services.map((s) => ({ ...s, real_servers: s.real_servers.map((rs) => ({ ...rs, address: name, host: name })) })) };
    const lines: string[] = [];
    const outcomes: LookupOutcome[] = [];
    const changes: number[] = [];
    const log = { info: (_: object, m: string) => void lines.push(m), warn: (_: object, m: string) => void lines.push(m), error: (_: object, m: string) => void lines.push(m) };
    const f = new NameFollower({ log, isUp: () => true, onChange: () => void changes.push(performance.now()), onLookup: (_n, o) => void outcomes.push(o) });
    f.configure(withName);
    return { f, c: withName, lines, outcomes, changes };
  };

  beforeAll(async () => {
    lab = createHealthLab();
    rs2 = lab.rsAddr.replace(/\.2$/, '.3');
    lab.ns.addr('eth0', `${rs2}/24`);
    hostsFile = join(lab.tmp, 'hosts');
    writeFileSync(hostsFile, `${lab.rsAddr} app1.lab.test\n`);
    dnsmasq = lab.ns.spawn('dnsmasq', [
      '--no-daemon',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${hostsFile}`,
      '--local=/lab.test/',
      '--local-ttl=1',
      `--listen-address=${lab.rsAddr}`,
      '--bind-interfaces',
      '--port=53',
      '--pid-file=',
      '--log-facility=-',
    ]);
    await dnsmasq.waitForOutput(/started, version/, 10_000);
    odd = await OddNameserver.start(lab.probeAddr, ['198.18.7.1', '198.18.7.2']);
    // Real servers on both addresses for the daemon's checks.
    await lab.ns.spawn(process.execPath, ['-e', `require('node:net').createServer((s) => s.on('error', () => {})).listen(${RS_PORT}, '0.0.0.0', () => console.log('ready'))`]).waitForOutput(/^ready$/m, 10_000);
  }, 30_000);

  afterAll(async () => {
    odd?.close();
    await lab?.cleanup();
  });

  it('follows a hosts-file change within the TTL (dnsmasq, TTL 1 s)', async () => {
    hosts([`${lab.rsAddr} app1.lab.test`]);
    await answers('app1.lab.test', lab.rsAddr);
    const { f, c, lines, changes } = follow({ nameservers: [lab.rsAddr], ttl_floor: '100ms' });
    try {
      await f.firstLookups();
      expect(f.materialize(c).config.services[0]?.real_servers.map((rs) => rs.address)).toEqual([lab.rsAddr]);
      const sent = hosts([`${rs2} app1.lab.test`]);
      const seen = await waitFor('the change', () => changes.find((t) => t > sent), { timeoutMs: 5_000 });
      expect(seen - sent).toBeLessThan(5_000);
      expect(f.materialize(c).config.services[0]?.real_servers.map((rs) => rs.address)).toEqual([rs2]);
      expect(lines).toContain(`web/app1.lab.test changed its address from ${lab.rsAddr} to ${rs2}`);
      expect(f.status()[0]).toMatchObject({ name: 'app1.lab.test', addresses: [rs2], last: { outcome: 'ok' } });
      // More moves, for the time from the DNS change to the follower noticing it (bounded by the TTL).
      const took = [seen - sent];
      for (const to of [lab.rsAddr, rs2, lab.rsAddr, rs2]) {
        // At a random point of the TTL, not in step with the lookups.
        await new Promise((r) => setTimeout(r, Math.random() * 1_000));
        const at = hosts([`${to} app1.lab.test`]);
        took.push((await waitFor(`the move to ${to}`, () => changes.find((t) => t > at), { timeoutMs: 5_000 })) - at);
        f.materialize(c);
      }
      took.sort((a, b) => a - b);
      console.log(`dns: SIGHUP to change noticed over ${took.length} moves (TTL 1 s): median ${took[2]?.toFixed(0)} ms, min ${took[0]?.toFixed(0)}, max ${took[4]?.toFixed(0)}`);
    } finally {
      f.stop();
    }
  });

  it('NXDOMAIN: the last address is held and reported, then dropped after the hold', async () => {
    hosts([`${lab.rsAddr} app1.lab.test`]);
    await answers('app1.lab.test', lab.rsAddr);
    const { f, c, lines, changes } = follow({ nameservers: [lab.rsAddr], ttl_floor: '100ms', hold: '1500ms' });
    try {
      await f.firstLookups();
      f.materialize(c);
      hosts([`${rs2} other.lab.test`]);
      await waitFor('NXDOMAIN reported', () => lines.find((l) => l.startsWith('app1.lab.test does not resolve (nxdomain')), { timeoutMs: 5_000 });
      expect(f.status()[0]).toMatchObject({ addresses: [lab.rsAddr], expired: false, last: { outcome: 'nxdomain' } });
      expect(f.materialize(c).config.services[0]?.real_servers.map((rs) => rs.address)).toEqual([lab.rsAddr]);
      const before = changes.length;
      await waitFor('the hold to pass', () => f.status()[0]?.expired, { timeoutMs: 5_000 });
      expect(changes.length).toBeGreaterThan(before);
      expect(lines).toContain(`app1.lab.test has not resolved for the hold time (nxdomain); ${lab.rsAddr} leave web`);
      expect(f.materialize(c).config.services[0]?.real_servers).toEqual([]);
    } finally {
      f.stop();
    }
  });

  it('SERVFAIL and a silent nameserver (timeout) are reported as such, nothing is dropped before the hold', async () => {
    const ns = `${odd.address}:${odd.port}`;
    const servfail = follow({ nameservers: [ns], timeout: '200ms', retries: 0 }, 'servfail.lab.test');
    const silent = follow({ nameservers: [ns], timeout: '200ms', retries: 1 }, 'silent.lab.test');
    try {
      await Promise.all([servfail.f.firstLookups(), silent.f.firstLookups()]);
      expect(servfail.outcomes[0]).toBe('servfail');
      expect(servfail.lines[0]).toMatch(/^servfail\.lab\.test does not resolve \(servfail: ESERVFAIL\); web has no address for it yet$/);
      expect(silent.outcomes[0]).toBe('timeout');
      expect(silent.f.status()[0]).toMatchObject({ last: { outcome: 'timeout', detail: 'ETIMEOUT' } });
    } finally {
      servfail.f.stop();
      silent.f.stop();
    }
  });

  it('a truncated UDP answer is asked again over TCP', async () => {
    const tcpBefore = odd.tcpQueries;
    const { f, c } = follow({ nameservers: [`${odd.address}:${odd.port}`], timeout: '500ms' }, 'big.lab.test');
    try {
      await f.firstLookups();
      expect(f.materialize(c).config.services[0]?.real_servers.map((rs) => rs.address)).toEqual(['198.18.7.1']);
      expect(f.status()[0]).toMatchObject({ addresses: ['198.18.7.1', '198.18.7.2'], last: { outcome: 'ok' } });
      expect(odd.tcpQueries).toBeGreaterThan(tcpBefore);
    } finally {
      f.stop();
    }
  });

  it('a daemon follows a move: new address checked, then in, old one drained and gone; status, metrics, restart', async () => {
    hosts([`${lab.rsAddr} app1.lab.test`]);
    await answers('app1.lab.test', lab.rsAddr);
    const dir = join(lab.tmp, 'daemon');
    const metricsPort = 20_000 + Math.floor(Math.random() * 40_000);
    const configPath = join(lab.tmp, 'lvsd.yaml');
    writeFileSync(
      configPath,
      [
        'node: { name: lb1 }',
        `control: { socket: ${dir}/lvsd.sock }`,
        `metrics: { listen: 127.0.0.1:${metricsPort}, ipvs_stats_interval: 100ms }`,
        `ipvs: { state_dir: ${dir}/state }`,
        `resolver: { nameservers: [${lab.rsAddr}], ttl_floor: 100ms, hold: 10s }`,
        'services:',
        '  - name: web',
        '    vip: 198.18.0.100',
        `    port: ${RS_PORT}`,
        '    drain_timeout: 1s',
        '    check: { type: tcp, interval: 200ms, timeout: 150ms, rise: 2, fall: 1 }',
        '    real_servers: [{ address: app1.lab.test }]',
        '',
      ].join('\n'),
    );
    const kernel = new FakeIpvsKernel();
    const web = { protocol: 'tcp' as const, address: '198.18.0.100', port: RS_PORT };
    const start = async () => {
      const sink = logSink();
      const daemon = await Daemon.start({ configPath, log: sink.logger, openIpvs: async () => kernel.open(), startVrrp: inProcessVrrp() });
      return { daemon, lines: sink.lines };
    };
    let { daemon, lines } = await start();
    try {
      await waitFor('the first address checked and in', () => kernel.weight(web, { address: lab.rsAddr, port: RS_PORT }) === 1, { timeoutMs: 5_000 });
      // A client connection on the old address: it must be drained, not cut.
      kernel.setDestinationStats(web, { address: lab.rsAddr, port: RS_PORT }, { activeConns: 1 });
      kernel.clearCalls();
      const sent = hosts([`${rs2} app1.lab.test`]);
      await waitFor('the move logged', () => lines.some((l) => l.includes(`web/app1.lab.test changed its address from ${lab.rsAddr} to ${rs2}`)), { timeoutMs: 5_000 });
      await waitFor('the new address in', () => kernel.weight(web, { address: rs2, port: RS_PORT }) === 1, { timeoutMs: 5_000, intervalMs: 10 });
      // Until the new address passed its check, the old one kept serving at its weight: the
      // kernel's write log, not a look at one moment (which a busy host may take too late).
      const writes = kernel.writes();
      const newIn = writes.findIndex((w) => w.startsWith('addDestination') && w.includes(` ${rs2}:${RS_PORT}`));
      const oldOut = writes.findIndex((w) => w.includes(` ${lab.rsAddr}:${RS_PORT}`));
      expect(newIn, writes.join('\n')).toBeGreaterThanOrEqual(0);
      if (oldOut >= 0) expect(oldOut, writes.join('\n')).toBeGreaterThan(newIn);
      console.log(`dns: SIGHUP to the new address in the (in-memory) kernel: ${(performance.now() - sent).toFixed(0)} ms (TTL 1 s, check interval 200 ms, rise 2)`);
      // Left as a config removal leaves: weight 0 while its connection lasts, gone at drain_timeout (1 s).
      await waitFor('the old address drained', () => kernel.weight(web, { address: lab.rsAddr, port: RS_PORT }) === 0, { timeoutMs: 5_000 });
      await waitFor('the old address gone', () => kernel.weight(web, { address: lab.rsAddr, port: RS_PORT }) === undefined, { timeoutMs: 5_000 });
      expect(performance.now() - sent).toBeLessThan(10_000);
      expect(lines.some((l) => l.includes(`drain real server ${lab.rsAddr}:${RS_PORT}`))).toBe(true);
      await waitFor('the deletion logged', () => lines.some((l) => l.includes(`delete real server ${lab.rsAddr}:${RS_PORT}`) && l.includes('drain_timeout expired')), { timeoutMs: 2_000 });
      const status = await daemon.status();
      expect(status.names).toMatchObject([{ name: 'app1.lab.test', addresses: [rs2], lastLookup: { outcome: 'ok' }, failingSince: null, uses: [{ service: 'web', placed: [rs2] }] }]);
      expect(status.services[0]?.realServers).toMatchObject([{ server: `${rs2}:${RS_PORT}`, name: 'app1.lab.test', health: 'up' }]);
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toContain(`lvsd_resolve_address{service="web",name="app1.lab.test",address="${rs2}"} 1`);
      expect(metrics).toMatch(/lvsd_resolve_lookups_total\{name="app1\.lab\.test",outcome="ok"\} [1-9]/);
      expect(metrics).toContain('lvsd_resolve_failing{name="app1.lab.test"} 0');

      // A restart while the name does not resolve starts at the saved address.
      await daemon.stop();
      hosts([`${lab.rsAddr} other.lab.test`]);
      ({ daemon, lines } = await start());
      expect(kernel.weight(web, { address: rs2, port: RS_PORT })).toBe(1);
      await waitFor('the failure reported', () => lines.some((l) => l.includes(`app1.lab.test does not resolve (nxdomain`) && l.includes(`keeping ${rs2}`)), { timeoutMs: 5_000 });
      expect((await daemon.status()).names?.[0]).toMatchObject({ addresses: [rs2], lastLookup: { outcome: 'nxdomain' } });
      expect(kernel.weight(web, { address: rs2, port: RS_PORT })).toBe(1);
    } finally {
      await daemon.stop();
    }
  }, 30_000);
});
