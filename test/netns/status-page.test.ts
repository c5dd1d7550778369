// The status page in a real browser: the whole daemon (daemon-node.mjs: VRRP thread, health
// checks, status page; IPVS in memory, as this host has none) runs in namespace "lb", its real
// servers in namespace "rs", and headless chromium loads http://127.0.0.1:9810/ inside "lb".
// It shows the lab's VRRP instance and services; a real server whose HTTP check starts failing
// turns red within one refresh of the page, counted in the page's own polls (not wall clock).
// A PNG of the page is written to the path the test prints.
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { NetnsLab, run, veth, waitFor, type Netns, type NetnsProcess } from '../support/netns.mjs';
import { Chromium } from './support/chromium.js';
import { assertBuilt, VrrpNode, VrrpProcesses, waitForState } from './support/vrrp-lab.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DAEMON = path.join(here, 'support', 'daemon-node.mjs');
const SERVERS = path.join(here, '..', 'fixtures', 'health', 'servers.mjs');
const CLI = path.join(here, '..', '..', 'dist', 'cli', 'main.js');

const tmp = path.join(tmpdir(), `lvsd-web-${process.pid}`);
const controlSocket = `/run/lvsd-web-test-${process.pid}.sock`;
const stateFile = `${tmp}-http-state.json`;
const otherStateFile = `${tmp}-http-state-other.json`;
const screenshot = `${tmp}-status-page.png`;

const config = `
node: { name: lb1 }
control: { socket: ${controlSocket} }
metrics: { listen: 127.0.0.1:9810, ipvs_stats_interval: 1s }
ipvs: { state_dir: ${tmp}-state }
vrrp:
  instances:
    - { name: web, interface: eth0, vrid: 61, priority: 150, version: 3, advert_interval: 100ms, vips: [198.18.10.100/24] }
services:
  - name: web
    vip: 198.18.10.100
    port: 80
    protocol: tcp
    scheduler: wrr
    forwarding: nat
    check: { type: http, path: /healthz, expect_status: [200], interval: 300ms, timeout: 250ms, rise: 1, fall: 1 }
    real_servers:
      - { address: 198.18.10.11, port: 8080, weight: 100 }
      - { address: 198.18.10.12, port: 8081, weight: 100 }
  - name: api
    vip: 198.18.10.100
    port: 8001
    protocol: tcp
    scheduler: wlc
    forwarding: dr
    check: { type: tcp, interval: 300ms, timeout: 250ms, rise: 1, fall: 1 }
    real_servers:
      - { address: 198.18.10.12, port: 8001, weight: 10 }
      - { address: 198.18.10.13, port: 8001, weight: 10 }
`;

interface Row {
  service: string;
  server: string;
  health: string;
  background: string;
}

describeWith(['root', 'netns', 'chromium'], 'status page in headless chromium', () => {
  const lab = new NetnsLab('web');
  const procs = new VrrpProcesses();
  let lb: Netns;
  let rs: Netns;
  let servers: NetnsProcess[] = [];
  let node: VrrpNode;
  let browser: Chromium | undefined;

  beforeAll(async () => {
    assertBuilt();
    lb = lab.ns('lb');
    rs = lab.ns('rs');
    veth(lb, 'eth0', rs, 'eth0');
    lb.addr('eth0', '198.18.10.1/24');
    for (const a of ['198.18.10.11', '198.18.10.12', '198.18.10.13']) rs.addr('eth0', `${a}/24`);
    for (const f of [stateFile, otherStateFile]) writeFileSync(f, JSON.stringify({ status: 200, body: 'ok' }));
    // HTTP on 8080 (its state file is rewritten to fail web's first server) and 8081, TCP on 8001.
    servers = [
      rs.spawn(process.execPath, [SERVERS, JSON.stringify({ http: 8080, tcp: 8001, stateFile })]),
      rs.spawn(process.execPath, [SERVERS, JSON.stringify({ http: 8081, stateFile: otherStateFile })]),
    ];
    await Promise.all(servers.map((s) => s.waitForOutput(/^ready$/m, 15_000)));
    node = await VrrpNode.start(procs, lb, 'lb1', config, { driver: DAEMON, timeoutMs: 30_000 });
    await waitForState(node, 'web', 'master', 10_000);
    browser = await Chromium.start(lb);
  });

  afterAll(async () => {
    // Every step runs even when one throws: a browser profile that would not go once left the
    // daemon and both health-check servers running after CI.
    const steps = [
      () => browser?.stop(),
      () => procs.cleanup(),
      () => Promise.all(servers.map((s) => s.stop())),
      () => lab.cleanup(),
      () => [`${tmp}-state`, stateFile, otherStateFile, controlSocket].forEach((f) => rmSync(f, { recursive: true, force: true })),
    ];
    const failures: unknown[] = [];
    for (const step of steps) await Promise.resolve().then(step).catch((err: unknown) => failures.push(err));
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} cleanup step(s) failed`);
  });

  const rows = (): Promise<Row[]> =>
    (browser as Chromium).evaluate<Row[]>(`[...document.querySelectorAll('tr.rs')].map((tr) => ({
      service: tr.dataset.service, server: tr.dataset.server, health: tr.dataset.health,
      background: getComputedStyle(tr.cells[0]).backgroundColor }))`);
  const polls = async (): Promise<number> => Number(await (browser as Chromium).evaluate<string>('document.body.dataset.polls || "0"'));
  /** What the daemon answers now, fetched by the page's own origin. */
  const daemonSays = (server: string): Promise<string | undefined> =>
    (browser as Chromium).evaluate<string | undefined>(
      `fetch('/status.json?q=${server}').then((r) => r.json()).then((v) => v.services.flatMap((s) => s.servers).find((r) => r.server === '${server}')?.class)`,
    );

  it('loads, shows the VRRP instance and every service and real server, and paints a server that fails its check red within one refresh', async () => {
    const b = browser as Chromium;
    await b.navigate('http://127.0.0.1:9810/?refresh=1');
    // Every configured real server is listed, and all pass their checks.
    const up = await waitFor(
      'the page to show all four real servers up',
      async () => {
        const r = await rows();
        return r.length === 4 && r.every((x) => x.health === 'up') ? r : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(up.map((r) => `${r.service} ${r.server}`)).toEqual(['web 198.18.10.11:8080', 'web 198.18.10.12:8081', 'api 198.18.10.12:8001', 'api 198.18.10.13:8001']);
    expect(await b.evaluate<string>(`document.getElementById('vrrp').textContent`)).toMatch(/web\s*master\s*150\s*this node/);
    expect(await b.evaluate<string>(`document.getElementById('node').textContent`)).toBe('lb1');

    // An operator's drain shows amber.
    run(process.execPath, [CLI, 'drain', 'api', '198.18.10.13:8001', '--socket', controlSocket]);

    // The HTTP check of web's first server now fails: once the daemon reports it down, the page's
    // next complete poll (one started after that) paints it red.
    writeFileSync(stateFile, JSON.stringify({ status: 503, body: 'maintenance' }));
    await waitFor('the daemon to report 198.18.10.11:8080 down', async () => ((await daemonSays('198.18.10.11:8080')) === 'down' ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    const seen = await polls();
    await waitFor('two more polls of the page', async () => ((await polls()) >= seen + 2 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50 });
    const after = await rows();
    const web11 = after.find((r) => r.server === '198.18.10.11:8080');
    expect(web11?.health).toBe('down');
    expect(web11?.background).toBe('rgb(255, 215, 213)');
    expect(after.find((r) => r.server === '198.18.10.13:8001')?.health).toBe('drained');
    expect(after.find((r) => r.server === '198.18.10.12:8081')?.health).toBe('up');
    expect(after.find((r) => r.server === '198.18.10.12:8001')?.health).toBe('up');
    expect(await b.evaluate<string>(`document.querySelector('tr.rs.down td.reason').textContent`)).toMatch(/503/);

    writeFileSync(screenshot, await b.screenshot());
    console.log(`status page screenshot: ${screenshot}`);
  });
});
