// What the daemon keeps in `ipvs.state_dir` across restarts (the files: state-file.ts), as the
// daemon uses it: read back at start, where a broken file is logged and taken as empty (a restart
// must not fail on it), and written as things change, where a failed write is logged and the
// next one repairs it.
import type { Config } from '../config/types.js';
import { serviceKey } from '../ipvs/names.js';
import type { Drain } from '../ipvs/drain.js';
import type { ServiceId } from '../ipvs/types.js';
import type { ChangeRecord } from '../peer/types.js';
import type { SavedNames } from '../resolve/follower.js';
import { drainStateWriter, readDrainState } from './drain-state.js';
import { healthStateWriter, readHealthState, type StoredHealth } from './health-state.js';
import type { RestoredState } from './ipvs-manager.js';
import type { Logger } from './log.js';
import { readManagedState, writeManagedState } from './managed-state.js';
import { overridesInForce, readOverrideState } from './override-state.js';
import { namesStateWriter, readNamesState } from './resolve-state.js';

/** How long health changes settle before health.json is written. */
const HEALTH_SAVE_DELAY_MS = 1_000;

export interface SavedStateDeps {
  /** The state directory of the config in force (a reload may move it). */
  dir: () => string;
  log: Logger;
  /** The checks' verdicts now, for health.json. */
  health: () => readonly StoredHealth[];
}

export class SavedState {
  private readonly drainWriter;
  private readonly healthWriter;
  private readonly namesWriter;
  /** What the record last written holds (state dir and service keys), to skip identical writes. */
  private recordKey: string | undefined;
  /** A health.json write waiting for changes to settle. */
  private healthSave: NodeJS.Timeout | undefined;

  constructor(private readonly deps: SavedStateDeps) {
    this.drainWriter = drainStateWriter(deps.dir);
    this.healthWriter = healthStateWriter(deps.dir);
    this.namesWriter = namesStateWriter(deps.dir);
  }

  /** The runtime changes (overrides, real servers) a previous run saved. */
  runtimeChanges(config: Config): Promise<ChangeRecord[]> {
    return this.read(config, 'runtime changes', [], (dir) => readOverrideState(dir, config.node.name));
  }

  /** The name resolutions a previous run saved, so a restart starts at the last known addresses. */
  names(config: Config): Promise<SavedNames> {
    return this.read(config, 'name resolutions', { names: [], placements: [] }, readNamesState, 'resolving from scratch');
  }

  /** The services recorded as lvsd's own by the last run; none when there is no usable record. */
  managedServices(config: Config): Promise<ServiceId[]> {
    return this.read(
      config,
      'record of managed IPVS services',
      [],
      async (dir) => (await readManagedState(dir)) ?? [],
      'services dropped from the config while lvsd was down stay in the kernel',
    );
  }

  /** The drains and health verdicts a previous run saved, with the overrides in force among `runtime`. */
  async restored(config: Config, runtime: readonly ChangeRecord[]): Promise<RestoredState> {
    return {
      drains: await this.read(config, 'draining removals', [], readDrainState),
      overrides: overridesInForce(runtime, config.node.name),
      health: await this.read(config, 'health state', [], readHealthState),
    };
  }

  private async read<T>(config: Config, what: string, empty: T, reader: (dir: string) => Promise<T>, without = 'starting without them'): Promise<T> {
    const dir = config.ipvs.state_dir;
    try {
      return await reader(dir);
    } catch (err) {
      this.deps.log.error({ err, dir }, `cannot read the saved ${what}; ${without}`);
      return empty;
    }
  }

  saveDrains(drains: readonly Drain[]): Promise<void> {
    return this.drainWriter.save(drains);
  }

  /** One health.json write per second at most, however many servers flap at once. */
  healthChanged(): void {
    this.healthSave ??= setTimeout(() => void this.saveHealth(), HEALTH_SAVE_DELAY_MS).unref();
  }

  /** Writes health.json now. */
  async saveHealth(): Promise<void> {
    clearTimeout(this.healthSave);
    this.healthSave = undefined;
    await this.healthWriter.save(this.deps.health()).catch((err: unknown) => {
      this.deps.log.error({ err, dir: this.deps.dir() }, 'cannot save the health state');
    });
  }

  async saveNames(names: SavedNames): Promise<void> {
    await this.namesWriter.save(names).catch((err: unknown) => {
      this.deps.log.error({ err, dir: this.deps.dir() }, 'cannot save the name resolutions');
    });
  }

  /** Records the managed services (skipped when the record already says the same). */
  async recordManaged(config: Config, services: readonly ServiceId[]): Promise<void> {
    // A reload that only edits services (weights, schedulers) leaves the record as it is.
    const key = `${config.ipvs.state_dir}\n${services.map(serviceKey).sort().join('\n')}`;
    if (key === this.recordKey) return;
    try {
      await writeManagedState(config.ipvs.state_dir, services);
      this.recordKey = key;
    } catch (err) {
      this.deps.log.error({ err, dir: config.ipvs.state_dir }, 'cannot record the managed IPVS services');
    }
  }
}
