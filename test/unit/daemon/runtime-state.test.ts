// The state files beside the managed-services record: draining removals and operator overrides
// (formats, refusal of broken files, ordered atomic writes), and a daemon restarted on the same
// state dir taking both back.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callDaemon } from '../../../src/cli/control-client.js';
import { Daemon } from '../../../src/daemon/daemon.js';
import { DRAIN_FILE, drainStateWriter, parseDrainState, readDrainState } from '../../../src/daemon/drain-state.js';
import { createLogger } from '../../../src/daemon/log.js';
import { OVERRIDE_FILE, overrideStateWriter, overridesInForce, parseOverrideState, readOverrideState } from '../../../src/daemon/override-state.js';
import type { ChangeRecord } from '../../../src/peer/types.js';
import type { Drain } from '../../../src/ipvs/drain.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { inProcessVrrp } from './vrrp-fakes.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'lvsd-runtime-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

const drains: Drain[] = [
  { service: { protocol: 'tcp', address: '198.18.0.100', port: 80 }, dest: { address: '198.18.1.12', port: 80 }, since: 1, deadline: 300_001 },
  { service: { fwmark: 7, family: 6 }, since: 5, deadline: 60_005 },
];
const overrides: ChangeRecord[] = [
  { kind: 'override', service: 'web', realServer: '198.18.1.11:80', value: 'drain', at: 10, node: 'lb1' },
  { kind: 'override', service: 'api', value: 'disable', at: 20, node: 'lb2' },
  { kind: 'override', service: 'web', realServer: '198.18.1.12:80', value: 'clear', at: 30, node: 'lb2' },
  { kind: 'server', service: 'web', realServer: '198.18.1.13:80', value: 'add', weight: 5, at: 40, node: 'lb1' },
];

describe('state files for drains and overrides', () => {
  it('round-trip through the state dir, written privately and atomically', async () => {
    const dir = join(tempDir(), 'state');
    await drainStateWriter(() => dir).save(drains);
    await overrideStateWriter(() => dir).save(overrides);
    expect(new Set(await readDrainState(dir))).toEqual(new Set(drains));
    expect(new Set(await readOverrideState(dir, 'lb1'))).toEqual(new Set(overrides));
    // No temporary file left behind; only root reads what steers the kernel.
    expect(readdirSync(dir).sort()).toEqual([DRAIN_FILE, OVERRIDE_FILE]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of [DRAIN_FILE, OVERRIDE_FILE]) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
  });

  it('read as empty when missing, and refused with the reason when broken', async () => {
    const dir = tempDir();
    expect(await readDrainState(dir)).toEqual([]);
    expect(await readOverrideState(dir, 'lb1')).toEqual([]);
    expect(() => parseDrainState('{"version":1,"drains":[{"service":{"fwmark":"x"},"since":1,"deadline":2}]}')).toThrow('drains[0] is not a drain');
    expect(() => parseOverrideState('{"version":1,"overrides":[{"service":"web","override":"pause","source":"cli","at":1}]}', 'lb1')).toThrow('overrides[0] is not an override');
    expect(() => parseOverrideState('{"version":2,"records":[{"kind":"server","service":"web","value":"add","at":1,"node":"lb1"}]}', 'lb1')).toThrow('records[0] is not a runtime change');
    expect(() => parseOverrideState('{"version":3,"records":[]}', 'lb1')).toThrow('not an lvsd override file (version 1 or 2)');
  });

  it('takes a version 1 file (before the peer protocol): its cli overrides become this node\'s records', () => {
    const v1 = '{"version":1,"overrides":[{"service":"web","realServer":"198.18.1.11:80","override":"drain","source":"cli","at":10}]}';
    const records = parseOverrideState(v1, 'lb1');
    expect(records).toEqual([{ kind: 'override', service: 'web', realServer: '198.18.1.11:80', value: 'drain', at: 10, node: 'lb1' }]);
    expect(overridesInForce(records, 'lb1')).toEqual([{ service: 'web', realServer: '198.18.1.11:80', override: 'drain', source: 'cli', at: 10, node: 'lb1' }]);
    // Tombstones and server records are not overrides; the peer's are marked as such.
    expect(overridesInForce(overrides, 'lb1').map((o) => [o.service, o.source])).toEqual([['web', 'cli'], ['api', 'peer']]);
  });

  it('are written in order, the last save winning, unchanged contents not rewritten', async () => {
    const dir = tempDir();
    const writer = overrideStateWriter(() => dir);
    const saves = [writer.save(overrides), writer.save(overrides.slice(0, 1)), writer.save([])];
    await Promise.all(saves);
    expect(parseOverrideState(readFileSync(join(dir, OVERRIDE_FILE), 'utf8'), 'lb1')).toEqual([]);
    // A file changed behind the writer's back stays as it is when the same set is saved again.
    writeFileSync(join(dir, OVERRIDE_FILE), 'changed by hand');
    await writer.save([]);
    expect(readFileSync(join(dir, OVERRIDE_FILE), 'utf8')).toBe('changed by hand');
  });
});

describe('Daemon restart with saved overrides', () => {
  it('applies an override set through the control socket again after a restart, naming the CLI as its source', async () => {
    const dir = tempDir();
    const configPath = join(dir, 'lvsd.yaml');
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    writeFileSync(
      configPath,
      `node: { name: lb1 }\ncontrol: { socket: ${dir}/lvsd.sock }\nmetrics: { listen: 127.0.0.1:${port} }\nipvs: { state_dir: ${dir}/state }\nservices:\n  - { name: web, vip: 198.18.0.100, port: 80, protocol: tcp, real_servers: [{ address: 198.18.1.11, weight: 100 }, { address: 198.18.1.12, weight: 100 }] }\n`,
    );
    const log = createLogger({ level: 'fatal', pretty: false });
    const ipvs = new FakeIpvsKernel();
    const start = async (): Promise<Daemon> => {
      const d = await Daemon.start({ configPath, log, openIpvs: async () => ipvs.open(), startVrrp: inProcessVrrp() });
      cleanups.push(() => d.stop());
      return d;
    };
    const first = await start();
    await callDaemon(join(dir, 'lvsd.sock'), 'drain', { service: 'web', realServer: '198.18.1.11' });
    expect(ipvs.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w0,198.18.1.12:80w100']);
    await first.stop();
    // What a restart without the saved override would do: the kernel back at the configured weight.
    await ipvs.updateDestination({ protocol: 'tcp', address: '198.18.0.100', port: 80 }, { address: '198.18.1.11', port: 80, forwarding: 'dr', weight: 100, upperThreshold: 0, lowerThreshold: 0 });
    const second = await start();
    expect(ipvs.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w0,198.18.1.12:80w100']);
    expect((await second.status()).services[0]?.realServers[0]).toMatchObject({ server: '198.18.1.11:80', override: 'drain', overrideSource: 'cli' });
  });
});
