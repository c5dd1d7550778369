// The status page's HTTP side, mounted on the metrics listener (daemon/metrics.ts): GET or HEAD
// of `/` (the page) and `/status.json` (one slice of the report, see status-view.ts). Read-only:
// any other method is 405. Loopback unless metrics.listen says otherwise, like /metrics.
//
// The report is built at most once per `maxAgeMs` however many pages poll, and a request that
// finds it older waits for the next one (so a page shows a change at its next poll, never two
// polls late). Building it costs no kernel dump: the daemon reads IPVS numbers from the snapshot
// /metrics serves. But it is the whole `lvsd status` report: at 10,000 services x 4 it took
// 0.4-1.3 s on a loaded 2-core host (test/bench/status-page.mjs), so the age allowed grows to ten
// times the last build's duration: an open page costs the main thread at most a tenth of its
// time, and shows its age. Per request there is only the filter pass and the JSON of one slice.
import type { ServerResponse } from 'node:http';
import type { HttpRoute } from '../daemon/metrics.js';
import type { StatusReport } from '../daemon/status.js';
import { PAGE_CSP, PAGE_HTML } from './page.js';
import { StatusIndex, parseQuery } from './status-view.js';

export interface StatusPageOptions {
  /** How old a report a request may be given, ms (default 1000; at least 10x its build time). */
  maxAgeMs?: number;
  /** Wall clock, ms since the epoch (tests). */
  now?: () => number;
}

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

/** Building the report may take this share of the main thread's time at most. */
const MAX_BUILD_SHARE = 0.1;

/** The latest report, indexed; rebuilt when a request finds it older than its max age. */
class ReportCache {
  private current: StatusIndex | undefined;
  private building: Promise<StatusIndex> | undefined;
  private lastBuildMs = 0;

  constructor(
    private readonly status: () => Promise<StatusReport>,
    private readonly maxAgeMs: number,
    private readonly now: () => number,
  ) {}

  get(): Promise<StatusIndex> {
    const current = this.current;
    const maxAge = Math.max(this.maxAgeMs, this.lastBuildMs / MAX_BUILD_SHARE);
    if (current && this.now() - current.builtAt < maxAge) return Promise.resolve(current);
    this.building ??= this.build().finally(() => (this.building = undefined));
    return this.building;
  }

  private async build(): Promise<StatusIndex> {
    const started = this.now();
    const index = new StatusIndex(await this.status(), this.now());
    this.lastBuildMs = this.now() - started;
    this.current = index;
    return index;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers }).end(body);
}

/** The page and its JSON as a route for serveMetrics; other paths are left to the listener. */
export function statusPageRoutes(status: () => Promise<StatusReport>, opts: StatusPageOptions = {}): HttpRoute {
  const now = opts.now ?? Date.now;
  const reports = new ReportCache(status, opts.maxAgeMs ?? 1000, now);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://lvsd');
    if (url.pathname !== '/' && url.pathname !== '/status.json') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'read-only: GET or HEAD\n', { allow: 'GET, HEAD' });
      return true;
    }
    if (url.pathname === '/') {
      send(res, 200, 'text/html; charset=utf-8', PAGE_HTML, { 'content-security-policy': PAGE_CSP });
      return true;
    }
    const query = parseQuery(url.searchParams);
    reports.get().then(
      (index) => send(res, 200, 'application/json', JSON.stringify(index.view(query)), { 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" }),
      (err: unknown) => send(res, 500, 'text/plain; charset=utf-8', `status unavailable: ${err instanceof Error ? err.message : String(err)}\n`),
    );
    return true;
  };
}
