// What `lvsd run` does with a process signal, by phase of the daemon's life. The handlers are
// installed before the daemon starts: without them Node's default action for SIGHUP and SIGTERM
// kills the process, which during start means dying with VIPs possibly held and a reload lost.
//  - starting: SIGHUP is queued and runs once start is done; SIGTERM/SIGINT end the start after
//    the step in progress (the daemon then stops cleanly) and drop a queued reload;
//  - running: SIGHUP reloads, SIGTERM/SIGINT stop;
//  - stopping: everything is ignored (a second SIGTERM must not cut the hand-over short).
export type DaemonSignal = 'SIGHUP' | 'SIGTERM' | 'SIGINT';

export type SignalAction =
  | { kind: 'reload' }
  | { kind: 'stop'; signal: DaemonSignal }
  | { kind: 'abort-start'; signal: DaemonSignal }
  | { kind: 'queued' }
  | { kind: 'ignored'; reason: string };

export class SignalPolicy {
  private phase: 'starting' | 'running' | 'stopping' = 'starting';
  private reloadQueued = false;

  /** What to do now about a signal that just arrived. */
  on(signal: DaemonSignal): SignalAction {
    const stop = signal !== 'SIGHUP';
    switch (this.phase) {
      case 'starting':
        if (!stop) {
          this.reloadQueued = true;
          return { kind: 'queued' };
        }
        this.phase = 'stopping';
        this.reloadQueued = false;
        return { kind: 'abort-start', signal };
      case 'running':
        if (!stop) return { kind: 'reload' };
        this.phase = 'stopping';
        return { kind: 'stop', signal };
      case 'stopping':
        return { kind: 'ignored', reason: 'already stopping' };
    }
  }

  /** Start is done: what was queued during it (a reload at most, never after a stop). */
  started(): SignalAction[] {
    if (this.phase !== 'starting') return [];
    this.phase = 'running';
    const queued: SignalAction[] = this.reloadQueued ? [{ kind: 'reload' }] : [];
    this.reloadQueued = false;
    return queued;
  }
}
