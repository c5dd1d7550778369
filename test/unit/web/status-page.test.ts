import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonMetrics, serveMetrics, type MetricsSource } from '../../../src/daemon/metrics.js';
import type { RealServerReport, ServiceReport, StatusReport } from '../../../src/daemon/status.js';
import type { RunnerStatus } from '../../../src/vrrp/runner.js';
import { PAGE_CSP, PAGE_HTML } from '../../../src/web/page.js';
import { statusPageRoutes } from '../../../src/web/routes.js';
import { StatusIndex, parseQuery } from '../../../src/web/status-view.js';
import { realServerReport, serviceReport } from '../../support/status-reports.js';

const rs = (server: string, over: Partial<RealServerReport> = {}): RealServerReport =>
  realServerReport({ server, health: 'up', healthSince: '2026-12-01T00:00:00.000Z', reason: 'connected', activeConnections: 3, inactiveConnections: 1, connectionsPerSecond: 10, packetsInPerSecond: 20, bytesInPerSecond: 3000, ...over });

const service = (i: number, servers: RealServerReport[], over: Partial<ServiceReport> = {}): ServiceReport =>
  serviceReport({ name: `svc-${i}`, match: `tcp 198.18.0.${i % 250}:${8000 + i}`, realServers: servers, ...over });

const vrrp = (over: Partial<RunnerStatus>): RunnerStatus =>
  ({ name: 'web', state: 'master', configuredPriority: 150, priority: 150, fault: { tracking: false, syncGroup: false }, inStateMs: 65_000, ...over }) as RunnerStatus;

const report = (services: ServiceReport[]): StatusReport => ({
  node: 'lb1',
  configHash: 'abc',
  vrrp: [vrrp({}), vrrp({ name: 'api', state: 'backup', master: { address: '198.18.0.2', priority: 200 }, inStateMs: 1000 })],
  services,
  unmanaged: ['tcp 198.18.0.250:22'],
});

const q = (s: string) => parseQuery(new URLSearchParams(s));

describe('status view', () => {
  it('paints down red, drained amber (operator drain, weight 0 in the kernel, removed and draining) and keeps the reason and both weights', () => {
    const idx = new StatusIndex(
      report([
        service(1, [
          rs('198.18.1.1:80'),
          rs('198.18.1.2:80', { health: 'down', weight: 0, reason: 'HTTP 503' }),
          rs('198.18.1.3:80', { override: 'drain', weight: 0 }),
          rs('198.18.1.4:80', { weight: 0 }),
          rs('198.18.1.5:80', { health: 'pending', reason: null }),
          rs('198.18.1.6:80', { health: 'unchecked', inConfig: false, configuredWeight: 0, weight: 0, draining: { since: '', deadline: '', secondsLeft: 40 } }),
        ]),
        service(2, [], { inConfig: false, draining: { since: '', deadline: '', secondsLeft: 12 } }),
      ]),
      Date.parse('2026-12-01T01:00:00.000Z'),
    );
    const v = idx.view(q(''));
    expect(v.services[0]?.servers.map((s) => s.class)).toEqual(['up', 'down', 'drained', 'drained', 'pending', 'drained']);
    expect(v.services[0]?.servers[5]?.drainingSecondsLeft).toBe(40);
    expect(v.services[1]?.flags).toEqual(['removed, draining 12s']);
    expect(v.services[0]?.servers[1]).toMatchObject({ reason: 'HTTP 503', weight: 0, configuredWeight: 100, active: 3, inactive: 1, cps: 10, ppsIn: 20, bpsIn: 3000 });
    expect(v.totals).toEqual({ services: 2, problemServices: 2, servers: { up: 1, down: 1, drained: 3, pending: 1, unchecked: 0 } });
    expect(v.vrrp).toEqual([
      { name: 'web', state: 'master', priority: 150, configuredPriority: 150, fault: null, master: 'this node', since: '2026-12-01T00:58:55.000Z' },
      { name: 'api', state: 'backup', priority: 150, configuredPriority: 150, fault: null, master: '198.18.0.2 (prio 200)', since: '2026-12-01T00:59:59.000Z' },
    ]);
    expect(v.unmanaged).toEqual(['tcp 198.18.0.250:22']);
  });

  it('flags a service that follows mastership as inactive on a backup without counting it as a problem', () => {
    const inactive = { instance: 'web', state: 'backup', active: false };
    const idx = new StatusIndex(report([service(1, [rs('198.18.1.1:80', { weight: null })], { inKernel: false, activeOn: inactive })]), Date.parse('2026-12-01T01:00:00.000Z'));
    const v = idx.view(q(''));
    expect(v.services[0]?.flags).toEqual(['inactive (backup)']);
    expect(v.totals.problemServices).toBe(0);
  });

  it('slices 10,000 services by filter, problems and offset, with the totals of all', () => {
    const services = Array.from({ length: 10_000 }, (_, i) =>
      service(i, [rs(`198.19.${i >> 8}.${i & 255}:80`, i % 1000 === 7 ? { health: 'down' } : {}), rs('198.18.9.9:80')], i === 42 ? { inKernel: false } : {}),
    );
    const idx = new StatusIndex(report(services), 0);
    const first = idx.view(q(''));
    expect(first).toMatchObject({ matched: 10_000, offset: 0, limit: 50, totals: { services: 10_000, problemServices: 11 } });
    expect(first.services.map((s) => s.name)).toEqual(Array.from({ length: 50 }, (_, i) => `svc-${i}`));
    expect(idx.view(q('offset=9990&limit=50')).services.map((s) => s.name)).toEqual(Array.from({ length: 10 }, (_, i) => `svc-${9990 + i}`));
    const problems = idx.view(q('problems=1'));
    expect(problems.matched).toBe(11);
    expect(problems.services.find((s) => s.name === 'svc-42')?.flags).toEqual(['not in kernel']);
    expect(idx.view(q('q=198.19.3.232')).services.map((s) => s.name)).toEqual(['svc-1000']);
    expect(idx.view(q('q=SVC-999')).matched).toBe(11);
    expect(idx.view(q('limit=100000')).limit).toBe(500);
    expect(idx.view(q('limit=x&offset=-4'))).toMatchObject({ limit: 50, offset: 0 });
  });
});

describe('status page over HTTP', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  const noMetrics: MetricsSource = { vrrp: async () => [], loopDelay: async () => [], realServers: () => [], ipvsStats: async () => [] };

  const listen = async (status: () => Promise<StatusReport>, opts = {}): Promise<string> => {
    // serveMetrics takes the config's address:port, which has no port 0.
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    server = await serveMetrics(new DaemonMetrics(noMetrics), `127.0.0.1:${port}`, statusPageRoutes(status, opts));
    return `http://127.0.0.1:${port}`;
  };

  it('serves the page with a CSP that allows exactly its inline style and script, and /metrics beside it', async () => {
    const base = await listen(async () => report([]));
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('content-security-policy')).toBe(PAGE_CSP);
    const html = await page.text();
    const inline = (tag: string): string => html.split(`<${tag}>`)[1]?.split(`</${tag}>`)[0] ?? '';
    const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(PAGE_CSP).toContain(`script-src ${hash(inline('script'))};`);
    expect(PAGE_CSP).toContain(`style-src ${hash(inline('style'))};`);
    expect(PAGE_CSP).toContain("default-src 'self'");
    expect(() => new Function(inline('script'))).not.toThrow();
    expect(html).not.toMatch(/<script[^>]+src=|<link|@import|url\(/);
    expect(html).toBe(PAGE_HTML);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((await fetch(`${base}/other`)).status).toBe(404);
  });

  it('is read-only: GET and HEAD only', async () => {
    const base = await listen(async () => report([]));
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await fetch(`${base}/status.json`, { method });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, HEAD');
    }
    const head = await fetch(`${base}/status.json`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('builds the report once per max age however many pages poll, and a request after it waits for a fresh one', async () => {
    let clock = 0;
    let builds = 0;
    let down = false;
    const base = await listen(
      async () => {
        builds++;
        return report([service(1, [rs('198.18.1.1:80', down ? { health: 'down' } : {})])]);
      },
      { maxAgeMs: 1000, now: () => clock },
    );
    const health = async (): Promise<string | undefined> => ((await (await fetch(`${base}/status.json`)).json()) as { services: Array<{ servers: Array<{ class: string }> }> }).services[0]?.servers[0]?.class;
    expect(await Promise.all([health(), health(), health()])).toEqual(['up', 'up', 'up']);
    expect(builds).toBe(1);
    down = true;
    clock = 999;
    expect(await health()).toBe('up');
    clock = 1000;
    expect(await health()).toBe('down');
    expect(builds).toBe(2);
  });

  it('keeps a report that took long to build for ten times its build time: an open page costs at most a tenth of the main thread', async () => {
    let clock = 0;
    let builds = 0;
    const base = await listen(
      async () => {
        builds++;
        clock += 400; // a 10,000-service report on a loaded host
        return report([]);
      },
      { maxAgeMs: 1000, now: () => clock },
    );
    const poll = async (): Promise<void> => void (await (await fetch(`${base}/status.json`)).json());
    await poll();
    clock += 3000;
    await poll();
    expect(builds).toBe(1);
    clock += 1000;
    await poll();
    expect(builds).toBe(2);
  });

  it('answers 500 with the reason when the status cannot be built', async () => {
    const base = await listen(async () => {
      throw new Error('VRRP thread gone');
    });
    const r = await fetch(`${base}/status.json`);
    expect(r.status).toBe(500);
    expect(await r.text()).toContain('VRRP thread gone');
  });
});
