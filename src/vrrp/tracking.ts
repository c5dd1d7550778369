// Tracking: what turns the configured priority into the effective one, with keepalived's
// semantics so configurations carry over.
//   - interface or script with weight 0: down means FAULT.
//   - weight > 0: added while up. weight < 0: added (so subtracted) while down.
//   - file: the number it holds times the weight; with weight 0 any non-zero number means FAULT;
//     a product below -253 means FAULT.
//   - The result is clamped to 1..254. The address owner (255) is never adjusted, but its
//     weight-0 items still put it in FAULT.
// Pure: the shells (track-script.ts, track-file.ts, the daemon's link watcher) push readings in.
import type { TrackSettings } from './settings.js';

export type TrackKind = 'interface' | 'script' | 'file';

export interface TrackItem {
  kind: TrackKind;
  /** Interface name, script name or file path. */
  name: string;
  weight: number;
}

/** Interfaces and scripts are up or down; files hold a number. */
export type TrackReading = { up: boolean } | { value: number };

export interface TrackResult {
  priority: number;
  fault: boolean;
  /** Items causing the fault, as "kind name", for logs and status. */
  faultyItems: string[];
}

/** File products beyond this are a fault (below -253) or clamped (above 253), as in keepalived. */
const FILE_LIMIT = 253;

export function trackedPriority(base: number, items: ReadonlyArray<{ item: TrackItem; reading: TrackReading }>): TrackResult {
  let delta = 0;
  const faultyItems: string[] = [];
  for (const { item, reading } of items) {
    const label = `${item.kind} ${item.name}`;
    if ('up' in reading) {
      if (item.weight === 0 && !reading.up) faultyItems.push(label);
      else if (item.weight > 0 && reading.up) delta += item.weight;
      else if (item.weight < 0 && !reading.up) delta += item.weight;
    } else if (item.weight === 0) {
      if (reading.value !== 0) faultyItems.push(label);
    } else {
      const product = reading.value * item.weight;
      if (product < -FILE_LIMIT) faultyItems.push(label);
      else delta += Math.min(product, FILE_LIMIT);
    }
  }
  const priority = base === 255 ? 255 : Math.min(254, Math.max(1, base + delta));
  return { priority, fault: faultyItems.length > 0, faultyItems };
}

/**
 * The readings of one instance's tracked items. Everything starts up (a file at 0), as in
 * keepalived without init_fail, so a slow first script run does not fault a starting node.
 */
export class TrackState {
  private readonly readings = new Map<string, { item: TrackItem; reading: TrackReading }>();
  private last: TrackResult;

  constructor(
    private readonly base: number,
    track: TrackSettings,
  ) {
    for (const i of track.interfaces) this.add({ kind: 'interface', name: i.name, weight: i.weight }, { up: true });
    for (const s of track.scripts) this.add({ kind: 'script', name: s.name, weight: s.weight }, { up: true });
    for (const f of track.files) this.add({ kind: 'file', name: f.path, weight: f.weight }, { value: 0 });
    this.last = trackedPriority(base, [...this.readings.values()]);
  }

  get result(): TrackResult {
    return this.last;
  }

  /** Records a reading; returns the new result when priority or fault changed. */
  update(kind: TrackKind, name: string, reading: TrackReading): TrackResult | undefined {
    const entry = this.readings.get(`${kind}:${name}`);
    if (!entry) return undefined;
    entry.reading = reading;
    const next = trackedPriority(this.base, [...this.readings.values()]);
    const changed = next.priority !== this.last.priority || next.fault !== this.last.fault;
    this.last = next;
    return changed ? next : undefined;
  }

  private add(item: TrackItem, reading: TrackReading): void {
    this.readings.set(`${item.kind}:${item.name}`, { item, reading });
  }
}

/**
 * Script hysteresis: a script's status flips only after `fall` consecutive failures or `rise`
 * consecutive successes, so one slow run does not move a VIP.
 */
export class RiseFall {
  private streak = 0;

  constructor(
    private readonly rise: number,
    private readonly fall: number,
    public up = true,
  ) {}

  /** Records one run; returns true when the status flipped. */
  record(success: boolean): boolean {
    if (success === this.up) {
      this.streak = 0;
      return false;
    }
    this.streak++;
    if (this.streak < (this.up ? this.fall : this.rise)) return false;
    this.up = success;
    this.streak = 0;
    return true;
  }
}

/** The number a track file holds: an optional sign and digits, surrounding whitespace allowed. */
export function parseTrackFile(text: string): number | undefined {
  const m = /^\s*([+-]?\d+)\s*$/.exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}
