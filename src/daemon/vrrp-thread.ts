// VRRP in a thread of its own: the daemon's main thread parses configs, reads and writes 10,000
// IPVS services, runs health checks, answers scrapes and status requests, and collects garbage
// in a heap of hundreds of MB; any of those can hold an event loop for longer than a master may
// stay silent (Master_Down_Interval is 3.6 advert intervals: 360 ms at 100 ms adverts, 68 ms
// at 20 ms). VRRP runs in a worker thread with its own event loop and its own small heap, so
// nothing the main thread does delays an advert. keepalived gets the same from separate VRRP
// and checker processes.
//
// This class is the main thread's handle on it, with the surface the daemon used on the
// VrrpManager (start, reload, stop, failover, status, state changes), spoken over
// vrrp-thread-protocol.ts. The thread is sent the `vrrp` part of the config, never the services.
// If the thread ends without being asked to (its own crash handler stopped VRRP and exited, see
// vrrp-worker.ts), the daemon must not run on without VRRP: the error is raised uncaught, and
// `lvsd run`'s crash handler exits non-zero so systemd restarts it (crash-exit.ts).
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/types.js';
import type { FailoverMode, VrrpState } from '../vrrp/instance.js';
import type { Logger } from './log.js';
import type { StateChangeListener, VrrpConfig } from './vrrp-manager.js';
import type { FailoverResult, VrrpInstanceView, VrrpSocketView, VrrpSyncGroupView } from './vrrp-status.js';
import type { MessageEndpoint, VrrpReplies, VrrpRequest, VrrpSnapshot, VrrpThreadMessage } from './vrrp-thread-protocol.js';
import type { VrrpWorkerData } from './vrrp-worker.js';

const WORKER_URL = new URL('./vrrp-worker.js', import.meta.url);

/**
 * V8 flags `lvsd run` is started with (the /usr/bin/lvsd wrapper passes them; V8 takes them only
 * on the command line). --single-threaded-gc: each isolate collects its garbage on its own
 * thread. By default V8 hands parts of every collection, the VRRP thread's too, to helper
 * threads shared by the whole process and waits for them; those are ordinary threads, so the
 * SCHED_RR VRRP thread ends up waiting for threads a busy CPU keeps waiting. Measured with two
 * CPU hogs on this 2-core host: the VRRP thread asleep (neither running nor runnable) for up to
 * 89 ms between a due advert timer and the send; with the flag, no such stall. The cost: the
 * main thread's collections get no help from the other core.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];
/**
 * After a stop, the thread ends when its loop is empty; a notify hook still running can hold it
 * that long, so it is terminated after this (its sockets are closed by then).
 */
const END_GRACE_MS = 2_000;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export class VrrpThread {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<StateChangeListener>();
  /** Last state of each instance, from the thread's events: isMaster() needs no round trip. */
  private readonly states = new Map<string, VrrpState>();
  private stopRequested = false;
  private stopping: Promise<void> | undefined;
  private endedCode: number | undefined;
  private readonly ended: Promise<void>;
  private markEnded: (code: number) => void = () => undefined;

  private constructor(
    private readonly endpoint: MessageEndpoint,
    private readonly log: Logger,
    private readonly worker: Worker | undefined,
  ) {
    this.ended = new Promise<void>((resolve) => {
      this.markEnded = (code) => {
        if (this.endedCode !== undefined) return;
        this.endedCode = code;
        this.log.removeListener('level-change', this.onLevelChange);
        for (const p of this.pending.values()) p.reject(new Error(`the VRRP thread ended (exit code ${code})`));
        this.pending.clear();
        resolve();
      };
    });
    endpoint.on('message', this.onMessage);
    log.on('level-change', this.onLevelChange);
  }

  /** Starts the VRRP worker thread. `workerUrl` is for tests that wrap the worker. */
  static spawn(log: Logger, workerUrl: URL = WORKER_URL): VrrpThread {
    const missing = DAEMON_NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag));
    if (missing.length > 0) log.warn({ missing }, `node was started without ${missing.join(' ')}: garbage collection helpers can delay adverts while the CPU is busy (/usr/bin/lvsd passes it)`);
    const workerData: VrrpWorkerData = { logLevel: log.level };
    const worker = new Worker(workerUrl, { workerData });
    const thread = new VrrpThread(worker, log, worker);
    worker.on('error', (err) => log.fatal({ err }, 'VRRP thread failed'));
    worker.on('exit', (code) => thread.onWorkerExit(code));
    return thread;
  }

  /**
   * A handle on a VrrpThreadHost served on the other end of `endpoint` in this same thread:
   * for unit tests, and to compare with VRRP on the main thread.
   */
  static connect(endpoint: MessageEndpoint, log: Logger): VrrpThread {
    return new VrrpThread(endpoint, log, undefined);
  }

  /** Removes the VIPs a previous run left behind; the daemon does it before IPVS adoption. */
  async clearLeftovers(config: Config): Promise<void> {
    await this.request({ op: 'clear-leftovers', config: vrrpPart(config) });
  }

  async start(config: Config): Promise<void> {
    await this.request({ op: 'start', config: vrrpPart(config) });
  }

  async reload(config: Config): Promise<void> {
    await this.request({ op: 'reload', config: vrrpPart(config) });
    await this.refreshStates();
  }

  /** Masters send priority 0, VIPs are removed, then the thread ends. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopRequested = true;
      if (this.endedCode !== undefined) return;
      await this.request({ op: 'stop' });
      if (!this.worker) {
        this.markEnded(0);
        return;
      }
      let grace: NodeJS.Timeout | undefined;
      const late = await Promise.race([this.ended.then(() => false), new Promise<boolean>((resolve) => (grace = setTimeout(() => resolve(true), END_GRACE_MS)))]);
      clearTimeout(grace);
      if (late) await this.worker.terminate();
      await this.ended;
    })();
    return this.stopping;
  }

  failover(instance: string | undefined, mode: FailoverMode, holdMs?: number): Promise<FailoverResult[]> {
    return this.request({ op: 'failover', instance, mode, holdMs });
  }

  async status(): Promise<VrrpInstanceView[]> {
    return (await this.snapshot(false)).instances;
  }

  async syncGroups(): Promise<VrrpSyncGroupView[]> {
    return (await this.snapshot(false)).syncGroups;
  }

  async sockets(): Promise<VrrpSocketView[]> {
    return (await this.snapshot(false)).sockets;
  }

  /** Everything at once; `resetLoopDelay` starts a new loop-delay window (the metrics scrape does). */
  snapshot(resetLoopDelay: boolean): Promise<VrrpSnapshot> {
    return this.request({ op: 'snapshot', resetLoopDelay });
  }

  /** Whether any instance is master, as of the last state change the thread reported. */
  isMaster(): boolean {
    return [...this.states.values()].includes('master');
  }

  /** The instances that are master, as of the last state changes the thread reported. */
  masterInstances(): string[] {
    return [...this.states].flatMap(([name, state]) => (state === 'master' ? [name] : []));
  }

  /** Calls `listener` on every state change of every instance. Returns its remover. */
  onStateChange(listener: StateChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private request<K extends VrrpRequest['op']>(req: Extract<VrrpRequest, { op: K }>): Promise<VrrpReplies[K]> {
    if (this.endedCode !== undefined) return Promise.reject(new Error(`the VRRP thread ended (exit code ${this.endedCode})`));
    const id = this.nextId++;
    return new Promise<VrrpReplies[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.endpoint.postMessage({ ...req, id });
    });
  }

  private async refreshStates(): Promise<void> {
    const { instances } = await this.snapshot(false);
    this.states.clear();
    for (const i of instances) this.states.set(i.name, i.state);
  }

  private readonly onMessage = (message: unknown): void => {
    const msg = message as VrrpThreadMessage;
    switch (msg.type) {
      case 'reply': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.value);
        else {
          const err = new Error(msg.error.message);
          if (msg.error.stack !== undefined) err.stack = msg.error.stack;
          p.reject(err);
        }
        return;
      }
      case 'state':
        this.states.set(msg.instance, msg.state);
        for (const listener of this.listeners) listener(msg.instance, msg.state, msg.reason);
        return;
      case 'log':
        relayLogLine(this.log, msg.line);
        return;
    }
  };

  private readonly onLevelChange = (level: string): void => {
    this.request({ op: 'log-level', level }).catch(() => undefined);
  };

  private onWorkerExit(code: number): void {
    this.markEnded(code);
    if (this.stopRequested) return;
    this.log.fatal({ exitCode: code }, 'the VRRP thread ended unexpectedly; lvsd cannot run without VRRP');
    // Raised uncaught on purpose: `lvsd run` exits non-zero on it (crash-exit.ts).
    process.nextTick(() => {
      throw new Error(`the VRRP thread ended unexpectedly (exit code ${code})`);
    });
  }
}

/** The thread gets the VRRP settings only: a 10,000-service config is not copied across. */
function vrrpPart(config: Config): VrrpConfig {
  return { vrrp: config.vrrp };
}

/** Writes a pino JSON line from the VRRP thread through the main thread's logger. */
function relayLogLine(log: Logger, line: string): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    log.warn({ line }, 'unreadable log line from the VRRP thread');
    return;
  }
  const { level, msg, time: _time, ...fields } = entry;
  const label = typeof level === 'number' ? log.levels.labels[level] : undefined;
  const write = label !== undefined ? (log as unknown as Record<string, (obj: object, msg?: string) => void>)[label] : undefined;
  (write ?? log.info).call(log, fields, typeof msg === 'string' ? msg : undefined);
}
