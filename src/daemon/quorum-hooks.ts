// keepalived's quorum_up / quorum_down: argv commands run when a service gains or loses quorum,
// under the notify hooks' rules (src/exec): one service's hooks one at a time in the order the
// changes happened, so a flap ends with the hook of the state that holds; at most 8 at once
// across services; each killed with its process group after 30 s; a full queue drops its oldest
// waiting run. A hook that fails or cannot start is logged and counted, never an exception.
import type { ServiceConfig } from '../config/types.js';
import { ExecQueue } from '../exec/queue.js';
import type { ExecLog } from '../exec/run.js';

const HOOK_TIMEOUT_MS = 30_000;
const CONCURRENCY = 8;
const MAX_WAITING = 32;

export class QuorumHooks {
  private readonly queue: ExecQueue;

  constructor(private readonly log: ExecLog) {
    this.queue = new ExecQueue({
      concurrency: CONCURRENCY,
      maxWaitingPerKey: MAX_WAITING,
      onOutcome: (key, command, outcome) => {
        if (!outcome.ok) this.log.warn({ hook: key, argv: command.argv, error: outcome.error }, `quorum hook failed: ${outcome.detail}`);
      },
    });
  }

  /** Queues the service's hook for this change, if it has one. */
  changed(service: ServiceConfig, met: boolean, healthyWeight: number): void {
    const argv = met ? service.quorum_up : service.quorum_down;
    if (!argv) return;
    const key = `quorum ${service.name}`;
    const env = {
      LVSD_SERVICE: service.name,
      LVSD_QUORUM: met ? 'up' : 'down',
      LVSD_HEALTHY_WEIGHT: String(healthyWeight),
      LVSD_QUORUM_NEEDED: String(Math.max(1, service.quorum)),
    };
    this.queue.push(key, { argv, env }, { timeoutMs: HOOK_TIMEOUT_MS, output: { mode: 'log', log: this.log }, context: { hook: key } });
  }

  /** Lets queued hooks finish for at most `timeoutMs`, then kills the rest. */
  drain(timeoutMs: number): Promise<void> {
    return this.queue.finish(timeoutMs, 'lvsd stopping');
  }
}
