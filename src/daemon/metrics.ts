// Prometheus metrics. Values that already live elsewhere (VRRP counters, health state) are read
// at scrape time from a MetricsSource instead of being mirrored, so a scrape always shows the
// truth and nothing has to be kept in sync. Kernel IPVS counters are the exception: reading them
// is a full table dump (10,000 services = 10,001 dumps), so the daemon keeps one snapshot,
// re-read at most once per `metrics.ipvs_stats_interval` in the background (IpvsStatsCache),
// and serves both /metrics and the status page (src/web) from it.
// Values only the daemon knows (reconciles, reloads) are recorded through the methods below.
// The listener serves /metrics and hands every other path to the routes it is given (the page).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { parseHostPort } from '../net/address.js';
import type { BgpStatus } from '../bgp/types.js';
import type { PeerLinkStatus } from '../peer/link.js';
import type { NameStatus } from '../resolve/follower.js';
import type { VrrpState } from '../vrrp/state.js';
import type { LoopDelay } from './loop-delay.js';

const VRRP_STATES: readonly VrrpState[] = ['initialize', 'backup', 'master', 'fault'];

export interface VrrpMetricsView {
  instance: string;
  state: VrrpState;
  priority: number;
  effectivePriority: number;
  transitions: number;
  advertsSent: number;
  advertsReceived: number;
  /** Dropped adverts by reason (ttl, checksum, version, …). */
  drops: Record<string, number>;
  /** Notify hook runs: exit 0, or failed (non-zero, killed, refused, could not start). */
  notifyHooks: { ok: number; failed: number };
}

export interface RealServerMetricsView {
  service: string;
  /** address:port as the operator wrote it. */
  server: string;
  up: boolean;
  /** The weight IPVS has for it now: 0 while drained, failed or removed (the sorry server's turn included). */
  weight: number;
  /** The weight the config gives it. */
  configuredWeight: number;
}

export interface IpvsStatsView {
  service: string;
  /** Absent for the service's own totals. */
  server?: string;
  connections: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  activeConnections?: number;
  inactiveConnections?: number;
}

export interface LoopDelayView {
  /** main: config, IPVS, health, control; vrrp: the VRRP thread. */
  loop: 'main' | 'vrrp';
  /** Since the previous scrape. */
  delay: LoopDelay;
}

export interface MetricsSource {
  vrrp(): Promise<VrrpMetricsView[]>;
  loopDelay(): Promise<LoopDelayView[]>;
  realServers(): RealServerMetricsView[];
  /** From the daemon's IPVS snapshot (IpvsStatsCache): never a kernel dump per scrape. */
  ipvsStats(): Promise<IpvsStatsView[]>;
  /** BGP mode only: announced VIPs and BIRD's sessions (read through birdc, bounded). */
  bgp?(): Promise<BgpStatus | undefined>;
  /** Removals still draining: how many real servers, and how many whole services. */
  draining?(): { realServers: number; services: number };
  /** The peer protocol (peer section only). */
  peer?(): PeerLinkStatus | undefined;
  /** Runtime changes in force, by kind and the node that made them. */
  runtimeChanges?(): Array<{ kind: string; node: string }>;
  /** Real servers given by DNS name: each name, its addresses and its last resolution. */
  names?(): NameStatus[];
}

type Labels = Record<string, string>;

type Read = () => Array<[Labels, number]> | Promise<Array<[Labels, number]>>;

/** A counter whose value is read at scrape time (the kernel or a state machine owns the count). */
function mirroredCounter(registry: Registry, name: string, help: string, labelNames: string[], read: Read): void {
  new Counter({ name, help, labelNames, registers: [registry], async collect() {
    this.reset();
    for (const [labels, value] of await read()) this.inc(labels, value);
  } });
}

/** A gauge whose value is read at scrape time. */
function mirroredGauge(registry: Registry, name: string, help: string, labelNames: string[], read: Read): void {
  new Gauge({ name, help, labelNames, registers: [registry], async collect() {
    this.reset();
    for (const [labels, value] of await read()) this.set(labels, value);
  } });
}

/** One call per scrape, shared by every metric family that reads it. */
function perScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => (current ??= read().finally(() => setImmediate(() => (current = undefined))));
}

/**
 * The last IPVS table read, refreshed when a reader finds it older than `intervalMs`. The reader
 * that notices gets the snapshot it has (Prometheus counters tolerate a late sample; a scrape or
 * a page waiting on a kernel dump does not help anyone); only the very first reader waits for a
 * read. At most one read runs at a time, however many readers arrive. Undefined only when no
 * read has succeeded yet.
 */
export class IpvsStatsCache<T> {
  private snapshot: T | undefined;
  private readAt = -Infinity;
  private reading: Promise<T | undefined> | undefined;
  /** Kernel reads started so far. */
  reads = 0;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  async get(): Promise<T | undefined> {
    if (this.now() - this.readAt >= this.intervalMs) this.refresh();
    return this.snapshot ?? (await this.reading);
  }

  private refresh(): void {
    if (this.reading) return;
    this.reads++;
    this.reading = this.read().then(
      (snapshot) => {
        this.snapshot = snapshot;
        this.readAt = this.now();
        return snapshot;
      },
      (err: unknown) => {
        // Keep serving the last snapshot; try again at the next interval, not at every read.
        this.readAt = this.now();
        this.onError(err);
        return this.snapshot;
      },
    );
    void this.reading.finally(() => (this.reading = undefined));
  }
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly reconciles: Counter<'result'>;
  private readonly reconcileSeconds: Histogram;
  private readonly reloads: Counter<'result'>;
  private readonly configInfo: Gauge<'hash'>;
  private readonly lookups: Counter<'name' | 'outcome'>;

  constructor(source: MetricsSource) {
    const r = this.registry;
    // The VRRP views come from the VRRP thread: one round trip per scrape.
    const vrrp = perScrape(() => source.vrrp());
    const vrrpEach = async (value: (v: VrrpMetricsView) => number): Promise<Array<[Labels, number]>> =>
      (await vrrp()).map((v) => [{ vrrp_instance: v.instance }, value(v)]);
    mirroredGauge(r, 'lvsd_vrrp_state', 'VRRP state of each instance: 1 for the current state, 0 for the others', ['vrrp_instance', 'state'], async () =>
      (await vrrp()).flatMap((v) => VRRP_STATES.map((s): [Labels, number] => [{ vrrp_instance: v.instance, state: s }, v.state === s ? 1 : 0])),
    );
    mirroredGauge(r, 'lvsd_vrrp_priority', 'Configured VRRP priority', ['vrrp_instance'], () => vrrpEach((v) => v.priority));
    mirroredGauge(r, 'lvsd_vrrp_effective_priority', 'VRRP priority after tracking adjustments', ['vrrp_instance'], () => vrrpEach((v) => v.effectivePriority));
    mirroredCounter(r, 'lvsd_vrrp_transitions_total', 'VRRP state transitions', ['vrrp_instance'], () => vrrpEach((v) => v.transitions));
    mirroredCounter(r, 'lvsd_vrrp_adverts_sent_total', 'VRRP advertisements sent', ['vrrp_instance'], () => vrrpEach((v) => v.advertsSent));
    mirroredCounter(r, 'lvsd_vrrp_adverts_received_total', 'VRRP advertisements received and accepted', ['vrrp_instance'], () => vrrpEach((v) => v.advertsReceived));
    mirroredCounter(r, 'lvsd_vrrp_notify_hooks_total', 'Notify hooks run for each instance, by result (failed: non-zero exit, killed, refused or not started)', ['vrrp_instance', 'result'], async () =>
      (await vrrp()).flatMap((v): Array<[Labels, number]> => [[{ vrrp_instance: v.instance, result: 'ok' }, v.notifyHooks.ok], [{ vrrp_instance: v.instance, result: 'failed' }, v.notifyHooks.failed]]),
    );
    mirroredCounter(r, 'lvsd_vrrp_adverts_dropped_total', 'VRRP packets dropped, by reason', ['vrrp_instance', 'reason'], async () =>
      (await vrrp()).flatMap((v) => Object.entries(v.drops).map(([reason, n]): [Labels, number] => [{ vrrp_instance: v.instance, reason }, n])),
    );
    mirroredGauge(
      r,
      'lvsd_event_loop_delay_seconds',
      'How late timers fired since the previous scrape, by thread: vrrp (adverts) and main (config, IPVS, health checks); quantile 1 is the maximum',
      ['loop', 'quantile'],
      async () =>
        (await source.loopDelay()).flatMap(({ loop, delay }): Array<[Labels, number]> => [
          [{ loop, quantile: '0.5' }, delay.p50 / 1000],
          [{ loop, quantile: '0.99' }, delay.p99 / 1000],
          [{ loop, quantile: '1' }, delay.max / 1000],
        ]),
    );
    mirroredGauge(r, 'lvsd_realserver_up', 'Health of each real server: 1 up, 0 down', ['service', 'server'], () =>
      source.realServers().map((s) => [{ service: s.service, server: s.server }, s.up ? 1 : 0]),
    );
    mirroredGauge(r, 'lvsd_realserver_weight', 'Weight IPVS has for each real server now: 0 while drained, failed or removed', ['service', 'server'], () =>
      source.realServers().map((s) => [{ service: s.service, server: s.server }, s.weight]),
    );
    mirroredGauge(r, 'lvsd_realserver_configured_weight', 'Weight the config gives each real server (lvsd_realserver_weight is what IPVS has)', ['service', 'server'], () =>
      source.realServers().map((s) => [{ service: s.service, server: s.server }, s.configuredWeight]),
    );
    mirroredGauge(r, 'lvsd_ipvs_draining', 'Removals draining at weight 0 until idle or drain_timeout, by kind (real_server, service)', ['kind'], () => {
      const d = source.draining?.() ?? { realServers: 0, services: 0 };
      return [[{ kind: 'real_server' }, d.realServers], [{ kind: 'service' }, d.services]];
    });
    // One view of the snapshot per scrape, shared by every IPVS family below.
    const ipvsStats = perScrape(() => source.ipvsStats());
    const ipvs = async (pick: (s: IpvsStatsView) => number | undefined): Promise<Array<[Labels, number]>> => {
      const out: Array<[Labels, number]> = [];
      for (const s of await ipvsStats()) {
        const v = pick(s);
        if (v !== undefined) out.push([{ service: s.service, server: s.server ?? '' }, v]);
      }
      return out;
    };
    const ipvsLabels = ['service', 'server'];
    mirroredCounter(r, 'lvsd_ipvs_connections_total', 'Connections scheduled (server="" is the service total)', ipvsLabels, () => ipvs((s) => s.connections));
    mirroredCounter(r, 'lvsd_ipvs_packets_in_total', 'Incoming packets', ipvsLabels, () => ipvs((s) => s.packetsIn));
    mirroredCounter(r, 'lvsd_ipvs_packets_out_total', 'Outgoing packets', ipvsLabels, () => ipvs((s) => s.packetsOut));
    mirroredCounter(r, 'lvsd_ipvs_bytes_in_total', 'Incoming bytes', ipvsLabels, () => ipvs((s) => s.bytesIn));
    mirroredCounter(r, 'lvsd_ipvs_bytes_out_total', 'Outgoing bytes', ipvsLabels, () => ipvs((s) => s.bytesOut));
    mirroredGauge(r, 'lvsd_ipvs_active_connections', 'Active connections per real server', ipvsLabels, () => ipvs((s) => s.activeConnections));
    mirroredGauge(r, 'lvsd_ipvs_inactive_connections', 'Inactive connections per real server', ipvsLabels, () => ipvs((s) => s.inactiveConnections));
    const bgp = perScrape(async () => (await source.bgp?.()) ?? undefined);
    mirroredGauge(r, 'lvsd_bgp_announced', 'BGP mode: 1 while the VIP is announced (its route is in lvsd\'s kernel table, exported by BIRD), 0 while withdrawn', ['vip'], async () => {
      const status = await bgp();
      return (status?.vips ?? []).map((vip): [Labels, number] => [{ vip }, status?.announced.includes(vip) ? 1 : 0]);
    });
    mirroredGauge(r, 'lvsd_bgp_session_up', 'BGP mode: 1 while BIRD\'s session to the peer is Established, 0 otherwise (absent when BIRD cannot be asked)', ['peer'], async () =>
      ((await bgp())?.sessions ?? []).map((s): [Labels, number] => [{ peer: s.peer }, s.established ? 1 : 0]),
    );
    mirroredGauge(r, 'lvsd_peer_connected', 'Peer protocol: 1 while the connection to the peer (direction=out) or from it (direction=in) is up', ['peer', 'direction'], () =>
      (source.peer?.()?.peers ?? []).flatMap((p): Array<[Labels, number]> => [[{ peer: p.address, direction: 'out' }, p.connected ? 1 : 0], [{ peer: p.address, direction: 'in' }, p.inbound ? 1 : 0]]),
    );
    mirroredGauge(r, 'lvsd_peer_last_ack_timestamp_seconds', 'Peer protocol: when the peer last acknowledged a message of this node', ['peer'], () =>
      (source.peer?.()?.peers ?? []).flatMap((p): Array<[Labels, number]> => (p.lastAck === null ? [] : [[{ peer: p.address }, p.lastAck / 1000]])),
    );
    mirroredCounter(r, 'lvsd_peer_records_total', 'Peer protocol: runtime changes sent to the peer (direction=sent) and received from it that won (direction=applied)', ['direction'], () => {
      const p = source.peer?.();
      return p ? [[{ direction: 'sent' }, p.recordsSent], [{ direction: 'applied' }, p.recordsApplied]] : [];
    });
    mirroredCounter(r, 'lvsd_peer_frames_dropped_total', 'Peer protocol: frames refused and never obeyed, by reason (forged: bad HMAC; replayed, stale: replay protection; malformed; misdirected)', ['reason'], () =>
      Object.entries(source.peer?.()?.dropped ?? {}).map(([reason, n]): [Labels, number] => [{ reason }, n]),
    );
    mirroredCounter(r, 'lvsd_peer_connections_refused_total', 'Peer protocol: connections from addresses that are not a configured peer', [], () => {
      const p = source.peer?.();
      return p ? [[{}, p.connectionsRefused]] : [];
    });
    mirroredGauge(r, 'lvsd_runtime_changes', 'Operator runtime changes in force (overrides, real servers added or removed), by kind and the node whose operator made them', ['kind', 'node'], () => {
      const counts = new Map<string, number>();
      for (const c of source.runtimeChanges?.() ?? []) counts.set(`${c.kind}|${c.node}`, (counts.get(`${c.kind}|${c.node}`) ?? 0) + 1);
      return [...counts].map(([key, n]): [Labels, number] => {
        const [kind = '', node = ''] = key.split('|');
        return [{ kind, node }, n];
      });
    });
    const names = (): NameStatus[] => source.names?.() ?? [];
    mirroredGauge(r, 'lvsd_resolve_address', 'Real servers given by DNS name: 1 for each address the name gives a service now (also an old one kept while the new one is checked)', ['service', 'name', 'address'], () =>
      names().flatMap((n) => n.entries.flatMap((e) => e.placed.map((address): [Labels, number] => [{ service: e.service, name: n.name, address }, 1]))),
    );
    mirroredGauge(r, 'lvsd_resolve_last_lookup_timestamp_seconds', 'When each name was last looked up (epoch seconds)', ['name'], () =>
      names().flatMap((n): Array<[Labels, number]> => (n.last ? [[{ name: n.name }, n.last.at / 1000]] : [])),
    );
    mirroredGauge(r, 'lvsd_resolve_last_success_timestamp_seconds', 'When each name last resolved to an address (epoch seconds)', ['name'], () =>
      names().flatMap((n): Array<[Labels, number]> => (n.resolvedAt !== undefined ? [[{ name: n.name }, n.resolvedAt / 1000]] : [])),
    );
    mirroredGauge(r, 'lvsd_resolve_failing', 'Names that stopped resolving: 1 while their last addresses are held, 2 once the hold passed and they were dropped, 0 resolving', ['name'], () =>
      names().map((n): [Labels, number] => [{ name: n.name }, n.expired ? 2 : n.failingSince !== undefined ? 1 : 0]),
    );
    this.lookups = new Counter({ name: 'lvsd_resolve_lookups_total', help: 'DNS lookups of real-server names, by outcome (ok, nodata, nxdomain, servfail, refused, timeout, error)', labelNames: ['name', 'outcome'], registers: [r] });
    this.reconciles = new Counter({ name: 'lvsd_reconcile_total', help: 'IPVS reconciles, by result', labelNames: ['result'], registers: [r] });
    this.reconcileSeconds = new Histogram({
      name: 'lvsd_reconcile_duration_seconds',
      help: 'Time from a desired-state change to the kernel being updated',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [r],
    });
    this.reloads = new Counter({ name: 'lvsd_config_reloads_total', help: 'Configuration reloads, by result', labelNames: ['result'], registers: [r] });
    this.configInfo = new Gauge({ name: 'lvsd_config_info', help: 'Hash of the configuration in force (value is always 1)', labelNames: ['hash'], registers: [r] });
  }

  recordReconcile(ok: boolean, seconds: number): void {
    this.reconciles.inc({ result: ok ? 'success' : 'failure' });
    if (ok) this.reconcileSeconds.observe(seconds);
  }

  recordLookup(name: string, outcome: string): void {
    this.lookups.inc({ name, outcome });
  }

  recordReload(ok: boolean): void {
    this.reloads.inc({ result: ok ? 'success' : 'failure' });
  }

  setConfigHash(hash: string): void {
    this.configInfo.reset();
    this.configInfo.set({ hash }, 1);
  }
}

/**
 * Another page on the metrics listener: answers the request and returns true, or returns false
 * to leave it to the listener (/metrics, then 404).
 */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Serves GET /metrics and `routes`. Binds where the config says; the default is loopback only. */
export async function serveMetrics(metrics: DaemonMetrics, listen: string, routes?: HttpRoute): Promise<Server> {
  const where = parseHostPort(listen);
  if (!where) throw new Error(`metrics listen address "${listen}": expected address:port, e.g. 127.0.0.1:9810 or [::1]:9810`);
  const { address: host, port } = where;
  const server = createServer((req, res) => {
    if (routes?.(req, res)) return;
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
