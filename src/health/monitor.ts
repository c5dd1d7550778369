// The health monitor: the shell around the pure parts. It keeps one scheduler job per check of
// each (service, real server), folds each probe result into that check's HealthState and the
// checks into the real server's (verdict.ts: up while every check is), and reports transitions
// (up/down, dynamic weight) once each, to listeners and to the log. The daemon feeds
// `statesFor(service)` into effectiveDestinations and shows `status()`.
import { type AgentState, agentUnreachable, applyAgentReply, initialAgentState } from './agent.js';
import { agentChecker } from './checkers/agent.js';
import { runCheck } from './checkers/index.js';
import { Scheduler, type SchedulerClock, type SchedulerStats, systemClock } from './schedule.js';
import { applyProbeResult, type HealthState, type HealthTransition, initialHealthState, restoredHealthState, type SavedHealth, savedHealth } from './state.js';
import { type AgentSpec, type CheckSpec, type Checker, type ProbeResult, type ProbeTarget } from './types.js';
import { checkLabels, combineChecks } from './verdict.js';
import { hostPort } from '../net/address.js';

export interface MonitoredRealServer {
  service: string;
  address: string;
  port: number;
  /** One check, or several that must all pass. */
  check: CheckSpec | readonly CheckSpec[];
  /** An agent check beside the health check: the server's own word on drain, maint, down, weight. */
  agent?: AgentSpec;
  /**
   * What a previous run knew of this real server (the daemon's health.json): it starts from that
   * verdict and its counters instead of from zero, and `initialUp` is not used.
   */
  restored?: SavedHealth;
  /**
   * Start as up: for real servers already serving in the kernel when lvsd starts, so a restart
   * does not drop a healthy farm. Default false: a new real server gets no traffic before it
   * has passed a check.
   */
  initialUp?: boolean;
}

export interface HealthChange extends HealthTransition {
  service: string;
  /** hostPort(target) */
  realServer: string;
  /** Clock reading (ms) of the change. */
  at: number;
  /** Set when the change is the agent's: what it says now. */
  agent?: AgentState;
}

export interface RealServerStatus {
  service: string;
  realServer: string;
  address: string;
  port: number;
  /** The check types, "tcp" or for several "tcp+http". */
  check: string;
  /** The real server's state: up while every check is. */
  state: HealthState;
  /** Each check's own state, in config order: which one failed and why. */
  checks: CheckStatus[];
}

/** One check's own verdict. */
export interface CheckStatus extends Pick<HealthState, 'up' | 'pending' | 'since' | 'reason' | 'consecutiveOk' | 'consecutiveFail'> {
  /** "tcp", "http /healthz", "ping"; the prefix of the server's reason when this check failed. */
  label: string;
  type: CheckSpec['type'];
}

/** The subset of a pino logger the monitor uses. */
export interface HealthLogger {
  info(obj: object, msg: string): void;
}

export interface HealthMonitorOptions {
  clock?: SchedulerClock;
  /**
   * Probes in flight at once, all types together. Default 4096: when a whole rack dies every
   * probe to it runs until its timeout, and the cap must not stretch detection of the rest.
   * Each probe holds a file descriptor, so the daemon needs RLIMIT_NOFILE above this.
   */
  maxInFlight?: number;
  /** Exec checks running at once. Default 16. */
  execConcurrency?: number;
  /** Per-round jitter as a fraction of the interval. Default 0.05. */
  jitter?: number;
  random?: () => number;
  /** Replaces the real checkers (tests). */
  checker?: Checker;
  /** Replaces the real agent queries (tests). */
  agentChecker?: (target: ProbeTarget, spec: AgentSpec, signal: AbortSignal) => Promise<ProbeResult>;
  logger?: HealthLogger;
  onLateness?: (ms: number) => void;
}

interface Entry {
  target: MonitoredRealServer;
  realServer: string;
  /** The real server's checks, in config order. */
  checks: CheckEntry[];
  /** Combined from the checks' states. */
  state: HealthState;
  /** The scheduler job asking this server's agent, and the spec it was made from. */
  agentJob?: { id: string; spec: string };
}

/** One check of one real server. */
interface CheckEntry {
  owner: Entry;
  spec: CheckSpec;
  label: string;
  /** The shared probe this check listens to. */
  probeId: string;
  state: HealthState;
}

/** One scheduled probe, shared by every (service, real server) that checks the same thing the same way. */
interface Probe {
  /** probeIdOf its checks: one string for all of them (40,000 copies were 6 MB at 10,000 services x 4). */
  id: string;
  target: ProbeTarget;
  check: CheckSpec;
  entries: Set<CheckEntry>;
}

export class HealthMonitor {
  private readonly clock: SchedulerClock;
  private readonly scheduler: Scheduler;
  private readonly checker: Checker;
  private readonly agentChecker: NonNullable<HealthMonitorOptions['agentChecker']>;
  private readonly logger: HealthLogger | undefined;
  private readonly entries = new Map<string, Entry>();
  /**
   * The same entries by service: the IPVS manager asks for each service's states when it
   * plans, and a scan of every entry per service was 400 million steps at 10,000 services x 4.
   */
  private readonly entriesOf = new Map<string, Set<Entry>>();
  private readonly probes = new Map<string, Probe>();
  private readonly listeners = new Set<(change: HealthChange) => void>();

  constructor(options: HealthMonitorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.checker = options.checker ?? runCheck;
    this.agentChecker = options.agentChecker ?? agentChecker;
    this.logger = options.logger;
    this.scheduler = new Scheduler({
      clock: this.clock,
      maxInFlight: options.maxInFlight ?? 4096,
      poolLimits: { exec: options.execConcurrency ?? 16 },
      jitter: options.jitter ?? 0.05,
      ...(options.random ? { random: options.random } : {}),
      ...(options.onLateness ? { onLateness: options.onLateness } : {}),
    });
  }

  /**
   * Makes the monitored set equal to `targets`. Real servers that stay keep their state, also
   * when their check changed (it is re-scheduled). A real server that several services share,
   * checked the same way, is probed once and the result fed to each.
   */
  update(targets: readonly MonitoredRealServer[]): void {
    const wanted = new Map<string, MonitoredRealServer>();
    for (const t of targets) wanted.set(entryId(t.service, hostPort(t)), t);
    for (const [id, entry] of this.entries) {
      if (!wanted.has(id)) {
        for (const c of entry.checks) this.unsubscribe(c);
        this.unscheduleAgent(entry);
        this.entries.delete(id);
        const siblings = this.entriesOf.get(entry.target.service);
        siblings?.delete(entry);
        if (siblings?.size === 0) this.entriesOf.delete(entry.target.service);
      }
    }
    for (const [id, target] of wanted) {
      const existing = this.entries.get(id);
      if (existing) {
        existing.target = target;
        this.scheduleAgent(existing);
        this.recheck(existing);
        continue;
      }
      const now = this.clock.now();
      const entry: Entry = { target, realServer: hostPort(target), checks: [], state: startingState(target, now) };
      const specs = specsOf(target);
      const labels = checkLabels(specs);
      // Each check starts where the server does: restored, assumed up, or pending.
      const { agent: _agent, ...seed } = entry.state;
      entry.checks = specs.map((spec, i) => ({ owner: entry, spec, label: labels[i] ?? spec.type, probeId: probeIdOf(target, spec), state: seed }));
      this.entries.set(id, entry);
      const siblings = this.entriesOf.get(target.service);
      if (siblings) siblings.add(entry);
      else this.entriesOf.set(target.service, new Set([entry]));
      for (const c of entry.checks) this.subscribe(c);
      this.scheduleAgent(entry);
    }
  }

  /**
   * Makes an existing real server's checks match its target. A check that stays (same probe)
   * keeps its state, one whose settings changed keeps the state of the check at its place, a new
   * one starts from the server's state; a change of the server's verdict is reported.
   */
  private recheck(entry: Entry): void {
    const specs = specsOf(entry.target);
    const ids = specs.map((spec) => probeIdOf(entry.target, spec));
    if (ids.length === entry.checks.length && ids.every((id, i) => entry.checks[i]?.probeId === id)) {
      entry.checks.forEach((c, i) => { c.spec = specs[i] ?? c.spec; });
      return;
    }
    const old = entry.checks;
    const byProbe = new Map(old.map((c) => [c.probeId, c]));
    const labels = checkLabels(specs);
    const { agent: _agent, ...seed } = entry.state;
    for (const c of old) this.unsubscribe(c);
    entry.checks = specs.map((spec, i) => {
      const probeId = ids[i] ?? '';
      const state = (byProbe.get(probeId) ?? (old.length === specs.length ? old[i] : undefined))?.state ?? seed;
      return { owner: entry, spec, label: labels[i] ?? spec.type, probeId, state };
    });
    for (const c of entry.checks) this.subscribe(c);
    this.combine(entry);
  }

  /** Folds the checks into the server's state and reports a transition. */
  private combine(entry: Entry): void {
    const now = this.clock.now();
    const { state, transition } = combineChecks(entry.state, entry.checks, now);
    entry.state = state;
    if (transition) this.emit({ ...transition, service: entry.target.service, realServer: entry.realServer, at: now });
  }

  start(): void {
    this.scheduler.start();
  }

  stop(): void {
    this.scheduler.stop();
  }

  /** Subscribes to transitions; returns the unsubscribe function. */
  onChange(listener: (change: HealthChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Health of one service's real servers by hostPort, the input of effectiveDestinations. */
  statesFor(service: string): Map<string, HealthState> {
    const out = new Map<string, HealthState>();
    for (const e of this.entriesOf.get(service) ?? []) out.set(e.realServer, e.state);
    return out;
  }

  /** Every real server's saved verdict, for the daemon's health.json; pending ones are left out. */
  snapshot(): Array<{ service: string; realServer: string; health: SavedHealth }> {
    const out: Array<{ service: string; realServer: string; health: SavedHealth }> = [];
    for (const e of this.entries.values()) {
      const health = savedHealth(e.state);
      if (health) out.push({ service: e.target.service, realServer: e.realServer, health });
    }
    return out;
  }

  status(): RealServerStatus[] {
    return [...this.entries.values()].map((e) => ({
      service: e.target.service,
      realServer: e.realServer,
      address: e.target.address,
      port: e.target.port,
      check: e.checks.map((c) => c.spec.type).join('+'),
      state: e.state,
      checks: e.checks.map(({ label, spec, state: s }) => ({
        label, type: spec.type, up: s.up, pending: s.pending, since: s.since, reason: s.reason, consecutiveOk: s.consecutiveOk, consecutiveFail: s.consecutiveFail,
      })),
    }));
  }

  /** Scheduler counters; `jobs` counts distinct probes, which is fewer than real servers when probes are shared. */
  stats(): SchedulerStats {
    return this.scheduler.stats();
  }

  private subscribe(entry: CheckEntry): void {
    const existing = this.probes.get(entry.probeId);
    if (existing) {
      existing.entries.add(entry);
      entry.probeId = existing.id;
      return;
    }
    const check = entry.spec;
    const { target } = entry.owner;
    const probe: Probe = {
      id: entry.probeId,
      target: { service: target.service, address: target.address, port: target.port },
      check,
      entries: new Set([entry]),
    };
    this.probes.set(entry.probeId, probe);
    this.scheduler.add({
      id: entry.probeId,
      interval: check.interval,
      timeout: check.timeout,
      warmup: check.warmup,
      pool: check.type === 'exec' ? 'exec' : 'default',
      run: (signal) => this.checker(probe.target, probe.check, signal),
      report: (result) => {
        const now = this.clock.now();
        for (const c of probe.entries) {
          c.state = applyProbeResult(c.state, result, c.spec, now).state;
          this.combine(c.owner);
        }
      },
    });
  }

  /** Makes the entry's agent job match its target's agent spec: added, replaced or removed. */
  private scheduleAgent(entry: Entry): void {
    const spec = entry.target.agent;
    const specKey = spec === undefined ? undefined : JSON.stringify(spec);
    if (entry.agentJob?.spec === specKey) return;
    this.unscheduleAgent(entry);
    if (spec === undefined || specKey === undefined) return;
    const id = `agent ${entryId(entry.target.service, entry.realServer)}`;
    const target: ProbeTarget = { service: entry.target.service, address: entry.target.address, port: entry.target.port };
    entry.agentJob = { id, spec: specKey };
    this.scheduler.add({
      id,
      interval: spec.interval,
      timeout: spec.timeout,
      warmup: 0,
      run: (signal) => this.agentChecker(target, spec, signal),
      report: (result) => this.applyAgent(entry, result),
    });
  }

  private unscheduleAgent(entry: Entry): void {
    if (!entry.agentJob) return;
    this.scheduler.remove(entry.agentJob.id);
    entry.agentJob = undefined;
    const { agent: _dropped, ...state } = entry.state;
    entry.state = state;
  }

  /** Folds an agent answer (or its absence) into the state; a change of what it asks for is reported. */
  private applyAgent(entry: Entry, result: ProbeResult): void {
    const before = entry.state.agent ?? initialAgentState;
    const agent = result.ok && result.agentReply ? applyAgentReply(before, result.agentReply) : agentUnreachable(before, result.reason);
    entry.state = { ...entry.state, agent };
    if (agent.admin === before.admin && agent.up === before.up && agent.percent === before.percent) return;
    this.emit({ up: entry.state.up, reason: agent.reason, service: entry.target.service, realServer: entry.realServer, at: this.clock.now(), agent });
  }

  private unsubscribe(entry: CheckEntry): void {
    const probe = this.probes.get(entry.probeId);
    if (!probe) return;
    probe.entries.delete(entry);
    if (probe.entries.size > 0) return;
    this.probes.delete(entry.probeId);
    this.scheduler.remove(entry.probeId);
  }

  private emit(change: HealthChange): void {
    this.logger?.info(
      { service: change.service, realServer: change.realServer, up: change.up, weight: change.weight, reason: change.reason, ...(change.agent ? { agent: change.agent.reason } : {}) },
      change.agent
        ? `agent of real server ${change.realServer} of ${change.service} says: ${change.reason}`
        : `real server ${change.realServer} of ${change.service} is ${change.up ? 'up' : 'down'}: ${change.reason}`,
    );
    for (const listener of this.listeners) listener(change);
  }
}

/** A restored verdict when there is one (without the agent's word if it no longer has an agent), else a new state. */
function startingState(target: MonitoredRealServer, now: number): HealthState {
  if (!target.restored) return initialHealthState(target.initialUp ?? false, now);
  const state = restoredHealthState(target.restored);
  if (target.agent) return state;
  const { agent: _gone, ...rest } = state;
  return rest;
}

function entryId(service: string, realServer: string): string {
  return `${service} ${realServer}`;
}

function specsOf(t: MonitoredRealServer): readonly CheckSpec[] {
  return Array.isArray(t.check) ? t.check : [t.check as CheckSpec];
}

/**
 * What makes two probes the same: address, probed port and the check minus what only the
 * state machine reads (rise, fall). Exec checks see the service and real-server port in their
 * environment, so they are shared only within one service and port; a ping has no port.
 */
function probeIdOf(t: MonitoredRealServer, check: CheckSpec): string {
  if (check.type === 'ping') {
    const { rise: _rise, fall: _fall, ...probe } = check;
    return JSON.stringify(['', t.address, 0, probe]);
  }
  const { rise: _rise, fall: _fall, port: checkPort, ...probe } = check;
  const scope = check.type === 'exec' ? `${t.service} ${t.port}` : '';
  return JSON.stringify([scope, t.address, checkPort ?? t.port, probe]);
}
