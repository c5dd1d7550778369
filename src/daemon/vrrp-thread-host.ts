// The VRRP thread's side of vrrp-thread-protocol.ts: answers the main thread's requests with the
// VrrpManager it hosts, and reports state changes. It is a class of its own (vrrp-worker.ts is
// only the shell that gives it a thread) so tests drive it over a MessageChannel, in one thread.
import { pino } from 'pino';
import type { Logger } from './log.js';
import { LoopDelayMonitor } from './loop-delay.js';
import { NetlinkVrrpKernel, type VrrpKernel } from './vrrp-kernel.js';
import { configuredVips, removeLeftoverVips } from './vrrp-leftovers.js';
import { VrrpManager } from './vrrp-manager.js';
import type { MessageEndpoint, VrrpRequestMessage, VrrpSnapshot, VrrpThreadMessage } from './vrrp-thread-protocol.js';

export interface VrrpThreadHostDeps {
  log: Logger;
  /** Default: the kernel of the namespace lvsd runs in. */
  kernel?: VrrpKernel;
  /** Ends the thread once a stop has been answered (process.exit in a worker). */
  exit: (code: number) => void;
  /**
   * Applies `vrrp.realtime_priority` to the thread on start and reload (vrrp-thread-scheduling.ts).
   * Only the worker has one: served on the main thread (tests), VRRP leaves scheduling alone.
   */
  scheduling?: { use(realtimePriority: number): void };
}

/** A logger whose JSON lines go to the main thread's logger (VrrpThread relays them). */
export function relayedLogger(port: MessageEndpoint, level: string): Logger {
  return pino({ level, base: { thread: 'vrrp' } }, { write: (line: string) => port.postMessage({ type: 'log', line } satisfies VrrpThreadMessage) });
}

export class VrrpThreadHost {
  private readonly kernel: VrrpKernel;
  private readonly loopDelay = new LoopDelayMonitor();
  private manager: VrrpManager | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly port: MessageEndpoint,
    private readonly deps: VrrpThreadHostDeps,
  ) {
    this.kernel = deps.kernel ?? new NetlinkVrrpKernel();
    port.on('message', this.onMessage);
  }

  /**
   * Stops every instance (masters send priority 0, VIPs are removed) and closes every socket.
   * Idempotent; the crash handler of the thread calls it too.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        if (this.manager) await this.manager.stop();
      } finally {
        // The manager closes the kernel when it stops; without one (a failed start, a stop right
        // after clear-leftovers) the leftover cleanup may have opened a netlink socket.
        this.kernel.close();
        this.loopDelay.stop();
      }
    })();
    return this.stopping;
  }

  private readonly onMessage = (message: unknown): void => {
    const req = message as VrrpRequestMessage;
    this.handle(req).then(
      (value) => {
        this.send({ type: 'reply', id: req.id, ok: true, value: value ?? null });
        if (req.op === 'stop') {
          this.port.off('message', this.onMessage);
          this.deps.exit(0);
        }
      },
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        this.send({ type: 'reply', id: req.id, ok: false, error: { message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}) } });
      },
    );
  };

  private async handle(req: VrrpRequestMessage): Promise<unknown> {
    const log = this.deps.log;
    switch (req.op) {
      case 'clear-leftovers':
        return removeLeftoverVips(this.kernel, configuredVips(req.config), log.child({ subsystem: 'vrrp' }));
      case 'start':
        if (this.manager || this.stopping) throw new Error('VRRP is already started');
        this.deps.scheduling?.use(req.config.vrrp.realtime_priority);
        this.manager = await VrrpManager.start(req.config, {
          log,
          kernel: this.kernel,
          onStateChange: (instance, state, reason) => this.send({ type: 'state', instance, state, reason }),
        });
        return null;
      case 'reload':
        this.deps.scheduling?.use(req.config.vrrp.realtime_priority);
        return this.running().reload(req.config);
      case 'stop':
        return this.stop();
      case 'failover':
        return this.running().failover(req.instance, req.mode, req.holdMs);
      case 'snapshot':
        return this.snapshot(req.resetLoopDelay);
      case 'log-level':
        log.level = req.level;
        return null;
    }
  }

  private snapshot(resetLoopDelay: boolean): VrrpSnapshot {
    const m = this.manager;
    return {
      instances: m?.status() ?? [],
      syncGroups: m?.syncGroups() ?? [],
      sockets: m?.sockets() ?? [],
      loopDelay: this.loopDelay.read(resetLoopDelay),
    };
  }

  private running(): VrrpManager {
    if (!this.manager || this.stopping) throw new Error('VRRP is not running');
    return this.manager;
  }

  private send(message: VrrpThreadMessage): void {
    this.port.postMessage(message);
  }
}
