// Runtime real-server changes (lvsd add-server / remove-server) and overrides learned from the
// peer, through the daemon's front doors (control socket, status, plan) on the in-memory kernel.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { callControl } from '../../../src/cli/control-client.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { Daemon } from '../../../src/daemon/daemon.js';
import { caughtUp, effectiveConfig, resolveServer } from '../../../src/daemon/runtime-servers.js';
import type { StatusReport } from '../../../src/daemon/status.js';
import { newNonce, signFrame } from '../../../src/peer/auth.js';
import type { ChangeRecord } from '../../../src/peer/types.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { inProcessVrrp, logSink, until } from './vrrp-fakes.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const WEB = { protocol: 'tcp' as const, address: '198.18.0.100', port: 80 };
const rs = (address: string) => ({ address, port: 80 });

/** A daemon whose exec check passes for a real server while `<dir>/up-<address>` exists. */
async function start(opts: { name?: string; dir?: string; peer?: string; kernel?: FakeIpvsKernel } = {}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'lvsd-runtime-'));
  if (!opts.dir) cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const name = opts.name ?? 'lb1';
  const socket = join(dir, `${name}.sock`);
  const configPath = join(dir, `${name}.yaml`);
  const check = `{ type: exec, interval: 100ms, timeout: 90ms, rise: 2, fall: 1, command: [/bin/sh, -c, 'test -e ${dir}/up-$LVSD_ADDRESS'] }`;
  const metricsPort = 20_000 + Math.floor(Math.random() * 40_000);
  const write = (servers: string[]): void =>
    writeFileSync(
      configPath,
      `node: { name: ${name} }\ncontrol: { socket: ${socket} }\nmetrics: { listen: 127.0.0.1:${metricsPort}, ipvs_stats_interval: 1s }\nipvs: { state_dir: ${dir}/${name}-state }\n${opts.peer ?? ''}` +
        `services:\n  - { name: web, vip: 198.18.0.100, port: 80, drain_timeout: 1m, check: ${check}, real_servers: [${servers.map((a) => `{ address: ${a}, weight: 10 }`).join(', ')}] }\n`,
    );
  write(['198.18.1.11']);
  writeFileSync(join(dir, 'up-198.18.1.11'), '');
  const kernel = opts.kernel ?? new FakeIpvsKernel();
  const sink = logSink();
  const daemon = await Daemon.start({ configPath, log: sink.logger, openIpvs: async () => kernel.open(), startVrrp: inProcessVrrp() });
  cleanups.push(() => daemon.stop());
  const call = (method: string, params: Record<string, unknown> = {}) => callControl(socket, method, params, 5_000);
  const status = async () => (await call('status')) as StatusReport;
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return { dir, kernel, daemon, call, status, write, scrape, lines: sink.lines };
}

describe('lvsd add-server / remove-server', () => {
  it('an added real server is health-checked before it gets traffic, then is in IPVS; status and plan show it as a difference from the file', async () => {
    const { dir, kernel, call, status } = await start();
    await until('the configured server up', () => kernel.weight(WEB, rs('198.18.1.11')) === 10, 5_000);
    expect(await call('add-server', { service: 'web', realServer: '198.18.1.13', weight: 5 })).toEqual({ service: 'web', realServer: '198.18.1.13:80', change: 'added', weight: 5 });
    const web = (await status()).services[0];
    expect(web?.realServers.map((r) => r.server)).toEqual(['198.18.1.11:80', '198.18.1.13:80']);
    expect(web?.realServers[0]?.health).toBe('up');
    // Pending until its first check answers; on a busy machine that check may have failed already.
    expect(['pending', 'down']).toContain(web?.realServers[1]?.health);
    expect(web?.runtimeChanges).toEqual([{ server: '198.18.1.13:80', change: 'add', weight: 5, node: 'lb1', at: expect.any(String) }]);
    // Its check fails: not in the kernel (weight undefined), however long we wait for a few checks.
    await new Promise((r) => setTimeout(r, 300));
    expect(kernel.weight(WEB, rs('198.18.1.13'))).toBeUndefined();
    writeFileSync(join(dir, 'up-198.18.1.13'), '');
    await until('the added server in IPVS after its checks pass', () => kernel.weight(WEB, rs('198.18.1.13')) === 5, 5_000);
    const plan = (await call('plan')) as { text: string; runtimeChanges: number };
    expect(plan.runtimeChanges).toBe(1);
    expect(plan.text).toMatch(/runtime \+ web 198\.18\.1\.13:80 weight 5 \(lvsd add-server on lb1 at .*; not in the config file\)/);
    await expect(call('add-server', { service: 'web', realServer: '198.18.1.13:80' })).rejects.toThrow('already has 198.18.1.13:80 (added at runtime by lb1)');
    await expect(call('add-server', { service: 'web', realServer: '198.18.1.11' })).rejects.toThrow('already has 198.18.1.11:80 (in the config file)');
    await expect(call('add-server', { service: 'web', realServer: '198.18.1.14:8080' })).rejects.toThrow('dr forwarding needs the service\'s port 80');
    await expect(call('add-server', { service: 'nope', realServer: '198.18.1.14' })).rejects.toThrow('no service named "nope"');
    // Overrides name a real server by address alone too, a runtime-added one included; unknown names are refused with what exists.
    expect(await call('drain', { service: 'web', realServer: '198.18.1.13' })).toEqual({ service: 'web', realServer: '198.18.1.13:80', override: 'drain' });
    expect(kernel.weight(WEB, rs('198.18.1.13'))).toBe(0);
    await expect(call('drain', { service: 'nope' })).rejects.toThrow('no service named "nope" (services: web)');
    await expect(call('drain', { service: 'web', realServer: '198.18.1.99:80' })).rejects.toThrow('service web has no real server 198.18.1.99:80');
  });

  it('remove-server drains a configured server (weight 0 while it has connections, gone after), and survives a restart', async () => {
    const first = await start();
    const { dir, kernel } = first;
    await until('up', () => kernel.weight(WEB, rs('198.18.1.11')) === 10, 5_000);
    kernel.setDestinationStats(WEB, rs('198.18.1.11'), { activeConns: 3 });
    await first.call('remove-server', { service: 'web', realServer: '198.18.1.11' });
    expect(kernel.weight(WEB, rs('198.18.1.11'))).toBe(0);
    const report = (await first.status()).services[0];
    expect(report?.realServers[0]).toMatchObject({ server: '198.18.1.11:80', inConfig: false, draining: expect.objectContaining({ secondsLeft: 60 }) });
    expect(report?.runtimeChanges).toEqual([{ server: '198.18.1.11:80', change: 'remove', node: 'lb1', at: expect.any(String) }]);
    // A restart keeps the removal (the record is saved); the drain carries on.
    await first.daemon.stop();
    const second = await start({ dir, kernel });
    expect((await second.status()).services[0]?.runtimeChanges?.map((c) => c.change)).toEqual(['remove']);
    expect(kernel.weight(WEB, rs('198.18.1.11'))).toBe(0);
    kernel.setDestinationStats(WEB, rs('198.18.1.11'), { activeConns: 0 });
    await until('the drained server deleted once idle', () => kernel.weight(WEB, rs('198.18.1.11')) === undefined, 5_000);
  });

  it('when the file catches up, the runtime record is dropped with a log line', async () => {
    const { call, write, status, lines, daemon } = await start();
    await call('add-server', { service: 'web', realServer: '198.18.1.13', weight: 5 });
    write(['198.18.1.11', '198.18.1.13']);
    expect(await daemon.reload()).toMatchObject({ ok: true, changed: true });
    await until('the record cleared', () => lines.some((l) => l.includes('the config file now agrees with this runtime real-server change')), 2_000);
    const web = (await status()).services[0];
    expect(web?.runtimeChanges).toEqual([]);
    // The file's own weight is in force now.
    expect(web?.realServers.map((r) => [r.server, r.configuredWeight])).toEqual([['198.18.1.11:80', 10], ['198.18.1.13:80', 10]]);
  });
});

describe('runtime real servers (pure)', () => {
  const file = (): Config => {
    const r = parseConfigText('node: { name: lb1 }\nservices:\n  - { name: web, vip: 198.18.0.100, port: 80, real_servers: [{ address: 198.18.1.11 }] }\n  - { name: nat, vip: 198.18.0.101, port: 80, forwarding: nat, real_servers: [] }\n', 'x.yaml');
    if (!r.ok) throw new Error('bad fixture');
    return r.config;
  };
  const add: ChangeRecord = { kind: 'server', service: 'web', realServer: '198.18.1.13:80', value: 'add', weight: 5, at: 1, node: 'lb2' };
  const remove: ChangeRecord = { kind: 'server', service: 'web', realServer: '198.18.1.11:80', value: 'remove', at: 2, node: 'lb1' };

  it('applies additions and removals without touching the file\'s objects', () => {
    const f = file();
    const before = JSON.stringify(f);
    const eff = effectiveConfig(f, [add, remove]);
    expect(eff.services[0]?.real_servers).toEqual([{ address: '198.18.1.13', port: 80, weight: 5, forwarding: 'dr' }]);
    expect(eff.services[1]).toBe(f.services[1]);
    expect(JSON.stringify(f)).toBe(before);
    expect(effectiveConfig(f, [])).toBe(f);
  });

  it('names the records the file agrees with', () => {
    const f = file();
    expect(caughtUp(f, [add, remove])).toEqual([]);
    const later = effectiveConfig(f, [add, remove]);
    expect(caughtUp(later, [add, remove])).toEqual([add, remove]);
  });

  it('resolves what the operator typed: default port, nat ports, families', () => {
    const f = file();
    expect(resolveServer(f, 'web', '198.18.1.20').key).toBe('198.18.1.20:80');
    expect(resolveServer(f, 'nat', '198.18.1.20:8080').key).toBe('198.18.1.20:8080');
    expect(() => resolveServer(f, 'web', '2001:2::1')).toThrow('is not of the family of service web (ipv4)');
    expect(() => resolveServer(f, 'web', 'lb9')).toThrow('lb9 is not a real server');
  });
});

describe('overrides learned from the peer', () => {
  it('a drain on one daemon is in force on the other, which names the peer as its source and saves it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-peer-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const peer = (self: string, other: string) => `peer: { secret: "a secret for this unit test", listen: ${self}, peers: [${other}], port: ${port} }\n`;
    const a = await start({ name: 'lb1', dir, peer: peer('127.0.0.2', '127.0.0.3') });
    const bKernel = new FakeIpvsKernel();
    const b = await start({ name: 'lb2', dir, peer: peer('127.0.0.3', '127.0.0.2'), kernel: bKernel });
    await until('lb2 serving', () => bKernel.weight(WEB, rs('198.18.1.11')) === 10, 5_000);
    await a.call('drain', { service: 'web', realServer: '198.18.1.11' });
    await until('lb2 drained by the peer', () => bKernel.weight(WEB, rs('198.18.1.11')) === 0, 5_000);
    const seen = (await b.status()).services[0]?.realServers[0];
    expect(seen).toMatchObject({ override: 'drain', overrideSource: 'peer', overrideNode: 'lb1' });
    const peerStatus = (await b.status()).peer;
    expect(peerStatus?.peers[0]).toMatchObject({ node: 'lb1', inbound: true });
    expect(peerStatus?.recordsApplied).toBe(1);
    expect(existsSync(join(dir, 'lb2-state', 'overrides.json'))).toBe(true);
    expect(readFileSync(join(dir, 'lb2-state', 'overrides.json'), 'utf8')).toContain('"node": "lb1"');
    const metrics = await b.scrape();
    expect(metrics).toContain(`lvsd_peer_connected{peer="127.0.0.2:${port}",direction="in"} 1`);
    expect(metrics).toContain('lvsd_peer_records_total{direction="applied"} 1');
    expect(metrics).toContain('lvsd_runtime_changes{kind="override",node="lb1"} 1');

    // A frame under another secret, then one replayed: counted, never obeyed.
    const record: ChangeRecord = { kind: 'override', service: 'web', realServer: '198.18.1.11:80', value: 'clear', at: Date.now() + 60_000, node: 'lb1' };
    const message = { v: 1 as const, from: 'lb1', to: `127.0.0.3:${port}`, ts: Date.now(), nonce: newNonce(), seq: 1, type: 'change' as const, records: [record] };
    const send = (line: string): Promise<void> =>
      new Promise((resolve) => {
        const s = connect({ host: '127.0.0.3', port, localAddress: '127.0.0.2' }, () => s.end(`${line}\n`));
        // Read (and drop) the ack, or the socket never sees the end of the stream.
        s.resume();
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
    await send(signFrame('not the secret of this pair!', message));
    const genuine = signFrame('a secret for this unit test', { ...message, records: [{ ...record, value: 'disable' }] });
    await send(genuine);
    await until('the genuine frame applied', () => bKernel.weight(WEB, rs('198.18.1.11')) === undefined, 5_000);
    await send(genuine);
    const after = (await b.status()).peer;
    expect(after?.dropped).toMatchObject({ forged: 1, replayed: 1 });
    expect(await b.scrape()).toContain('lvsd_peer_frames_dropped_total{reason="forged"} 1');
    expect((await b.status()).services[0]?.realServers[0]).toMatchObject({ override: 'disable', overrideSource: 'peer' });
  });
});
