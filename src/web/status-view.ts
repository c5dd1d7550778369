// What the status page shows, projected from the report `lvsd status` prints (daemon/status.ts),
// so the page and the command cannot disagree. Pure: no I/O, no clock of its own.
//
// At 10,000 services the whole report is ~40,000 real-server rows (megabytes of JSON); a page
// polling that every 2 s would spend its time parsing. So the page asks for one slice (a filter,
// an offset and a limit) and gets the totals of the whole report beside it. The search index and
// the totals are computed once per report (StatusIndex), not per request.
import type { RealServerReport, ServiceReport, StatusReport } from '../daemon/status.js';

/** How a row is painted: down red, drained amber, pending grey, up green. */
export type ServerClass = 'up' | 'down' | 'drained' | 'pending' | 'unchecked';

export interface ServerView {
  server: string;
  forwarding: string;
  class: ServerClass;
  health: RealServerReport['health'];
  /** The last check's result ("HTTP 503", "connect: ECONNREFUSED"), null when none yet. */
  reason: string | null;
  since: string | null;
  /** An operator's drain/disable/enable, null when none. */
  override: string | null;
  /** Removed from the config and draining: the time left before it is deleted, s; null otherwise. */
  drainingSecondsLeft: number | null;
  sorry: boolean;
  configuredWeight: number;
  /** Weight programmed in the kernel, null when the server is not in the kernel. */
  weight: number | null;
  active: number;
  inactive: number;
  cps: number;
  ppsIn: number;
  ppsOut: number;
  bpsIn: number;
  bpsOut: number;
}

export interface ServiceView {
  name: string;
  match: string;
  scheduler: string;
  /** "not in kernel", "disabled", "quorum lost", "removed, draining 40s". */
  flags: string[];
  /** Any flag or any real server not up (the "problems only" filter). */
  problem: boolean;
  servers: ServerView[];
}

export interface VrrpView {
  name: string;
  state: string;
  priority: number;
  configuredPriority: number;
  /** Why the instance is in fault: "tracking", "sync group"; null otherwise. */
  fault: string | null;
  /** "this node", "198.18.0.2 (prio 150)" or "none heard". */
  master: string;
  /** When the current state began (ISO). */
  since: string;
}

export type ServerTotals = Record<ServerClass, number>;

export interface StatusView {
  node: string;
  configHash: string;
  /** When the report was built (ISO): the page shows its age. */
  generatedAt: string;
  vrrp: VrrpView[];
  totals: { services: number; problemServices: number; servers: ServerTotals };
  /** Services matching the filter; `services` is the slice [offset, offset + limit). */
  matched: number;
  offset: number;
  limit: number;
  services: ServiceView[];
  unmanaged: string[];
}

export interface StatusQuery {
  /** Case-insensitive substring of a service's name, match or a real server's address. */
  filter: string;
  problemsOnly: boolean;
  offset: number;
  limit: number;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** Reads a query string leniently: anything unreadable becomes its default. */
export function parseQuery(search: URLSearchParams): StatusQuery {
  const int = (key: string, fallback: number, max: number): number => {
    const n = Number.parseInt(search.get(key) ?? '', 10);
    return Number.isFinite(n) && n >= 0 ? Math.min(n, max) : fallback;
  };
  return {
    filter: (search.get('q') ?? '').trim().toLowerCase().slice(0, 200),
    problemsOnly: search.get('problems') === '1',
    offset: int('offset', 0, Number.MAX_SAFE_INTEGER),
    limit: int('limit', DEFAULT_LIMIT, MAX_LIMIT) || DEFAULT_LIMIT,
  };
}

function serverClass(rs: RealServerReport): ServerClass {
  if (rs.health === 'down') return 'down';
  if (rs.draining || rs.override === 'drain' || rs.override === 'disable' || (rs.weight === 0 && rs.configuredWeight > 0)) return 'drained';
  if (rs.health === 'pending') return 'pending';
  return rs.health;
}

function serverView(rs: RealServerReport): ServerView {
  return {
    server: rs.server,
    forwarding: rs.forwarding,
    class: serverClass(rs),
    health: rs.health,
    reason: rs.reason,
    since: rs.healthSince,
    override: rs.override,
    drainingSecondsLeft: rs.draining ? rs.draining.secondsLeft : null,
    sorry: rs.sorry,
    configuredWeight: rs.configuredWeight,
    weight: rs.weight,
    active: rs.activeConnections,
    inactive: rs.inactiveConnections,
    cps: rs.connectionsPerSecond,
    ppsIn: rs.packetsInPerSecond,
    ppsOut: rs.packetsOutPerSecond,
    bpsIn: rs.bytesInPerSecond,
    bpsOut: rs.bytesOutPerSecond,
  };
}

function serviceFlags(s: ServiceReport): string[] {
  const flags: string[] = [];
  if (s.activeOn && !s.activeOn.active) flags.push(`inactive (${s.activeOn.state})`);
  else if (!s.inKernel) flags.push('not in kernel');
  if (s.disabled) flags.push('disabled');
  if (s.quorumMet === false) flags.push('quorum lost');
  if (s.draining) flags.push(`removed, draining ${s.draining.secondsLeft}s`);
  return flags;
}

/** One report made ready for slicing: per-service search text and problem flag, and the totals. */
export class StatusIndex {
  private readonly search: string[];
  private readonly problem: boolean[];
  private readonly servers: ServerTotals = { up: 0, down: 0, drained: 0, pending: 0, unchecked: 0 };
  private readonly problemServices: number;
  private readonly vrrp: VrrpView[];

  constructor(
    readonly report: StatusReport,
    /** When the report was built, ms since the epoch. */
    readonly builtAt: number,
  ) {
    this.search = report.services.map((s) => `${s.name}\n${s.match}\n${s.realServers.map((rs) => rs.server).join('\n')}`.toLowerCase());
    this.problem = report.services.map((s) => {
      // A service that follows mastership is out of the kernel on a backup by design, not a problem.
      let problem = serviceFlags(s).length > (s.activeOn?.active === false ? 1 : 0);
      for (const rs of s.realServers) {
        const c = serverClass(rs);
        this.servers[c]++;
        if (c !== 'up' && c !== 'unchecked') problem = true;
      }
      return problem;
    });
    this.problemServices = this.problem.filter(Boolean).length;
    this.vrrp = report.vrrp.map((v) => ({
      name: v.name,
      state: v.state,
      priority: v.priority,
      configuredPriority: v.configuredPriority,
      fault: v.fault.tracking ? 'tracking' : v.fault.syncGroup ? 'sync group' : null,
      master: v.state === 'master' ? 'this node' : v.master ? `${v.master.address} (prio ${v.master.priority})` : 'none heard',
      since: new Date(builtAt - v.inStateMs).toISOString(),
    }));
  }

  /** The page's JSON for one query; costs one pass over the services' search text. */
  view(q: StatusQuery): StatusView {
    const { services } = this.report;
    const picked: ServiceView[] = [];
    let matched = 0;
    for (let i = 0; i < services.length; i++) {
      if (q.problemsOnly && !this.problem[i]) continue;
      if (q.filter && !(this.search[i] as string).includes(q.filter)) continue;
      if (matched >= q.offset && picked.length < q.limit) {
        const s = services[i] as ServiceReport;
        const flags = serviceFlags(s);
        picked.push({ name: s.name, match: s.match, scheduler: s.scheduler, flags, problem: this.problem[i] as boolean, servers: s.realServers.map(serverView) });
      }
      matched++;
    }
    return {
      node: this.report.node,
      configHash: this.report.configHash,
      generatedAt: new Date(this.builtAt).toISOString(),
      vrrp: this.vrrp,
      totals: { services: services.length, problemServices: this.problemServices, servers: this.servers },
      matched,
      offset: q.offset,
      limit: q.limit,
      services: picked,
      unmanaged: this.report.unmanaged,
    };
  }
}
