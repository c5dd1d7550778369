// Runs notify commands (notify.ts) through the shared runner (src/exec): the hooks of one
// instance, or of one sync group, one at a time in transition order; a global cap on how many
// run at once; each with a timeout that kills its process group; output and failures to the
// log. A hook that cannot even start (missing, unsafe, EMFILE...) is a failed run, never an
// exception in the caller.
import { ExecQueue, type ExecQueueStats } from '../exec/queue.js';
import type { ExecLog } from '../exec/run.js';
import { notifyCommands, notifyKey, type NotifyEvent } from './notify.js';
import type { NotifySettings } from './settings.js';

export interface NotifyRunnerOptions {
  /** A hung hook's process group is killed after this long. */
  timeoutMs: number;
  /** Hooks running at once across every instance and group. */
  concurrency: number;
  /** Transitions waiting per instance or group before the oldest is dropped. */
  maxWaiting: number;
}

/** Finished hook runs of one instance or group: exit 0, or anything else (including never started). */
export interface NotifyRuns {
  ok: number;
  failed: number;
}

export class NotifyRunner {
  private readonly queue: ExecQueue;
  private readonly runs = new Map<string, NotifyRuns>();

  constructor(
    private readonly log: ExecLog,
    private readonly options: NotifyRunnerOptions,
  ) {
    this.queue = new ExecQueue({
      concurrency: options.concurrency,
      maxWaitingPerKey: options.maxWaiting,
      onOutcome: (key, command, outcome) => {
        let runs = this.runs.get(key);
        if (!runs) this.runs.set(key, (runs = { ok: 0, failed: 0 }));
        if (outcome.ok) {
          runs.ok++;
          return;
        }
        runs.failed++;
        this.log.warn({ hook: key, argv: command.argv, error: outcome.error }, `notify hook failed: ${outcome.detail}`);
      },
    });
  }

  /** Queues the hooks `event` calls for. */
  notify(hooks: NotifySettings | undefined, event: NotifyEvent): void {
    const key = notifyKey(event);
    for (const command of notifyCommands(hooks, event)) {
      this.queue.push(key, command, { timeoutMs: this.options.timeoutMs, output: { mode: 'log', log: this.log }, context: { hook: key } });
    }
  }

  /** Counts for the metrics (lvsd_vrrp_notify_hooks_total). */
  runsOf(owner: Pick<NotifyEvent, 'kind' | 'name'>): NotifyRuns {
    return { ...(this.runs.get(notifyKey(owner)) ?? { ok: 0, failed: 0 }) };
  }

  stats(): ExecQueueStats {
    return this.queue.stats();
  }

  /** Lets queued hooks (the `stop` ones on shutdown) finish, for at most `timeoutMs`, then kills the rest. */
  drain(timeoutMs: number): Promise<void> {
    return this.queue.finish(timeoutMs, 'lvsd stopping');
  }
}
