// The daemon's reload transaction and restart on an in-memory IPVS kernel (test/support/fake-ipvs-kernel.ts):
// a reload the kernel refuses leaves the old config in force and can be retried; a port change
// replaces the service; a half-written file is refused with the count; a restart removes the
// services dropped from the file while lvsd was down and leaves one added by hand.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../../src/daemon/daemon.js';
import { createLogger } from '../../../src/daemon/log.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { inProcessVrrp } from './vrrp-fakes.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Edits {
  weight0?: number;
  port1?: number;
  scheduler2?: string;
  only?: number;
  drop3?: boolean;
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-reloadtx-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'lvsd.yaml');
  const write = (edits: Edits = {}, stateDir = join(dir, 'state')): void => {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const services = [0, 1, 2, 3]
      .filter((i) => i < (edits.only ?? 4) && !(i === 3 && edits.drop3))
      .map((i) => {
        const p = i === 1 && edits.port1 ? edits.port1 : 10_000 + i;
        const scheduler = i === 2 && edits.scheduler2 ? edits.scheduler2 : 'wrr';
        const weight = i === 0 && edits.weight0 !== undefined ? edits.weight0 : 100;
        return `  - { name: s${i}, vip: 198.18.0.100, port: ${p}, protocol: tcp, scheduler: ${scheduler}, real_servers: [{ address: 198.18.0.11, weight: ${weight} }] }`;
      });
    writeFileSync(
      configPath,
      `node: { name: lb1 }\ncontrol: { socket: ${dir}/lvsd.sock }\nmetrics: { listen: 127.0.0.1:${port} }\nipvs: { state_dir: ${stateDir} }\nservices:\n${services.join('\n')}\n`,
    );
  };
  const messages: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) messages.push((JSON.parse(line) as { msg: string }).msg);
      done();
    },
  });
  const log = createLogger({ level: 'info', pretty: false, destination });
  const start = async (ipvs: FakeIpvsKernel): Promise<Daemon> => {
    const d = await Daemon.start({ configPath, log, openIpvs: async () => ipvs.open(), startVrrp: inProcessVrrp() });
    cleanups.push(() => d.stop());
    return d;
  };
  return { dir, write, start, messages };
}

const initial = [
  'tcp/198.18.0.100/10000 wrr 198.18.0.11:10000w100',
  'tcp/198.18.0.100/10001 wrr 198.18.0.11:10001w100',
  'tcp/198.18.0.100/10002 wrr 198.18.0.11:10002w100',
  'tcp/198.18.0.100/10003 wrr 198.18.0.11:10003w100',
];

describe('Daemon reload transaction', () => {
  it('keeps the old config (kernel and hash) when the kernel refuses a change, logs why, and succeeds when repeated', async () => {
    const { write, start, messages } = setup();
    const ipvs = new FakeIpvsKernel();
    write();
    const daemon = await start(ipvs);
    expect(ipvs.summary()).toEqual(initial);
    const hash = (await daemon.status()).configHash;
    write({ weight0: 7, scheduler2: 'nq' });
    ipvs.missingSchedulers.add('nq');
    const failed = await daemon.reload();
    expect(failed).toEqual({ ok: false, errors: ["1 IPVS change(s) failed, first: edit service tcp 198.18.0.100:10002: scheduler 'nq' not available in this kernel (modprobe ip_vs_nq?) (ENOENT)"] });
    expect(messages).toContain('reload rejected: the running configuration stays in force');
    // The weight edit that did go through was put back: the old config is the one in force.
    expect(ipvs.summary()).toEqual(initial);
    expect((await daemon.status()).configHash).toBe(hash);
    ipvs.missingSchedulers.clear();
    const retried = await daemon.reload();
    expect(retried).toMatchObject({ ok: true, changed: true });
    expect(ipvs.summary()).toEqual([
      'tcp/198.18.0.100/10000 wrr 198.18.0.11:10000w7',
      'tcp/198.18.0.100/10001 wrr 198.18.0.11:10001w100',
      'tcp/198.18.0.100/10002 nq 198.18.0.11:10002w100',
      'tcp/198.18.0.100/10003 wrr 198.18.0.11:10003w100',
    ]);
    expect((await daemon.status()).configHash).not.toBe(hash);
  });

  it('replaces a service whose port changed, and keeps the old one while the new one cannot go in', async () => {
    const { write, start } = setup();
    const ipvs = new FakeIpvsKernel();
    write();
    const daemon = await start(ipvs);
    write({ port1: 20_001 });
    expect(await daemon.reload()).toMatchObject({ ok: true, changed: true });
    expect(ipvs.summary()).toEqual([initial[0], initial[2], initial[3], 'tcp/198.18.0.100/20001 wrr 198.18.0.11:20001w100']);
    // Back to 10001 while the kernel cannot add it: 20001 is kept, not deleted first.
    const before = ipvs.summary();
    write({});
    ipvs.missingSchedulers.add('wrr');
    expect(await daemon.reload()).toEqual({ ok: false, errors: [expect.stringMatching(/^1 IPVS change\(s\) failed, first: add service tcp 198\.18\.0\.100:10001/)] });
    expect(ipvs.summary()).toEqual(before);
  });

  it('refuses a reload that removes more than max_removal_percent with the count, and applies it when forced', async () => {
    const { write, start } = setup();
    const ipvs = new FakeIpvsKernel();
    write();
    const daemon = await start(ipvs);
    write({ only: 1 });
    const refused = await daemon.reload();
    expect(refused).toEqual({ ok: false, errors: [expect.stringMatching(/^refusing to remove 3 of 4 managed IPVS services/)] });
    expect(ipvs.summary()).toEqual(initial);
    expect(await daemon.reload(true)).toMatchObject({ ok: true, changed: true });
    expect(ipvs.summary()).toEqual([initial[0]]);
  });
});

describe('Daemon restart', () => {
  it('removes the services dropped from the file while it was down, and leaves one added by hand', async () => {
    const { write, start, messages } = setup();
    const ipvs = new FakeIpvsKernel();
    write();
    const first = await start(ipvs);
    await first.stop();
    await ipvs.addService({ protocol: 'tcp', address: '198.18.0.200', port: 80, scheduler: 'rr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 });
    write({ drop3: true });
    await start(ipvs);
    expect(ipvs.summary()).toEqual([...initial.slice(0, 3), 'tcp/198.18.0.200/80 rr ']);
    expect(messages).toContain('delete service tcp 198.18.0.100:10003');
  });

  it('keeps them, naming the count, when the file lost more than max_removal_percent; a forced reload removes them', async () => {
    const { write, start, messages } = setup();
    const ipvs = new FakeIpvsKernel();
    write();
    const first = await start(ipvs);
    await first.stop();
    write({ only: 1 });
    const daemon = await start(ipvs);
    expect(ipvs.summary()).toEqual(initial);
    expect(messages).toContain('refusing to remove 3 of 4 managed IPVS services (more than ipvs.max_removal_percent, 50%): they stay in the kernel; "lvsd reload --force" removes them');
    expect((await daemon.reload()).ok).toBe(true);
    expect(ipvs.summary()).toEqual(initial);
    expect(await daemon.reload(true)).toMatchObject({ ok: true });
    expect(ipvs.summary()).toEqual([initial[0]]);
  });

  it('without a record (first start, or a new state_dir) adopts and removes nothing', async () => {
    const { dir, write, start } = setup();
    const ipvs = new FakeIpvsKernel();
    write();
    const first = await start(ipvs);
    await first.stop();
    write({ drop3: true }, join(dir, 'elsewhere'));
    await start(ipvs);
    expect(ipvs.summary()).toEqual(initial);
  });
});
