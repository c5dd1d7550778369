// One instance's tracking, wired: script runners and file watchers feed a TrackState, the daemon
// feeds interface up/down from its link watcher, and every change of effective priority or fault
// goes to `onChange` (the runner's `tracking`).
import type { TrackSettings } from './settings.js';
import { FileTracker } from './track-file.js';
import { ScriptTracker, type ScriptRun } from './track-script.js';
import { TrackState, type TrackResult } from './tracking.js';

export interface TrackerEvents {
  onChange(result: TrackResult): void;
  /** A script's status flipped; for the log. */
  onScript?(name: string, up: boolean, run: ScriptRun): void;
}

/** How often track files are re-read. */
export const TRACK_FILE_POLL_MS = 1000;

export class InstanceTracker {
  private readonly state: TrackState;
  private readonly scripts: ScriptTracker[];
  private readonly files: FileTracker[];

  constructor(
    basePriority: number,
    track: TrackSettings,
    private readonly events: TrackerEvents,
    filePollMs = TRACK_FILE_POLL_MS,
  ) {
    this.state = new TrackState(basePriority, track);
    this.scripts = track.scripts.map(
      (s) =>
        new ScriptTracker(s, (up, run) => {
          this.events.onScript?.(s.name, up, run);
          this.record(this.state.update('script', s.name, { up }));
        }),
    );
    this.files = track.files.map((f) => new FileTracker(f.path, filePollMs, (value) => this.record(this.state.update('file', f.path, { value }))));
  }

  get result(): TrackResult {
    return this.state.result;
  }

  start(): void {
    for (const s of this.scripts) s.start();
    for (const f of this.files) f.start();
  }

  stop(): void {
    for (const s of this.scripts) s.stop();
    for (const f of this.files) f.stop();
  }

  /** Link state of a tracked interface (IFF_UP and IFF_RUNNING), from the daemon's link watcher. */
  setInterface(name: string, up: boolean): void {
    this.record(this.state.update('interface', name, { up }));
  }

  private record(result: TrackResult | undefined): void {
    if (result) this.events.onChange(result);
  }
}
