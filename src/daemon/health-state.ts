// What the health checks knew, kept in `<ipvs.state_dir>/health.json` so a restart (also after a
// crash) neither starts every checked real server from zero nor sends traffic to one that was
// down: each server starts from its saved verdict and rise/fall counters, and the agent's last
// word. Saved shortly after each change and at stop. Entries of real servers the config no
// longer has are simply not used. A corrupt or foreign file is reported and ignored, never fatal
// (the checks find the truth within rise × interval).
import type { SavedHealth } from '../health/state.js';
import { parseStateList, readStateFile, StateFileWriter } from './state-file.js';

export const HEALTH_FILE = 'health.json';

export interface StoredHealth {
  service: string;
  /** "address:port" */
  realServer: string;
  health: SavedHealth;
}

interface HealthFile {
  version: 1;
  servers: StoredHealth[];
}

const ADMIN = new Set(['ready', 'drain', 'maint']);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function parseAgent(v: unknown): SavedHealth['agent'] | undefined {
  const a = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const ok = typeof a.admin === 'string' && ADMIN.has(a.admin) && typeof a.up === 'boolean' && isCount(a.percent) && typeof a.reason === 'string';
  return ok ? { admin: a.admin as 'ready' | 'drain' | 'maint', up: a.up as boolean, percent: a.percent as number, reason: a.reason as string } : undefined;
}

/** The saved verdicts of the file's text; throws with the reason when it is not one. */
export function parseHealthState(text: string): StoredHealth[] {
  return parseStateList(text, 'health', 'servers', 'a saved health state', (v): StoredHealth | undefined => {
    const e = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    const h = (typeof e.health === 'object' && e.health !== null ? e.health : {}) as Record<string, unknown>;
    const agent = h.agent === undefined ? undefined : parseAgent(h.agent);
    const ok =
      typeof e.service === 'string' && typeof e.realServer === 'string' && typeof h.up === 'boolean' && typeof h.since === 'number' &&
      typeof h.reason === 'string' && isCount(h.consecutiveOk) && isCount(h.consecutiveFail) &&
      (h.weight === undefined || isCount(h.weight)) && (h.agent === undefined || agent !== undefined);
    if (!ok) return undefined;
    const health: SavedHealth = {
      up: h.up as boolean, since: h.since as number, reason: h.reason as string,
      consecutiveOk: h.consecutiveOk as number, consecutiveFail: h.consecutiveFail as number,
      ...(h.weight !== undefined ? { weight: h.weight as number } : {}),
      ...(agent ? { agent } : {}),
    };
    return { service: e.service as string, realServer: e.realServer as string, health };
  });
}

export function formatHealthState(servers: readonly StoredHealth[]): string {
  const sorted = [...servers].sort((a, b) => (a.service === b.service ? (a.realServer < b.realServer ? -1 : 1) : a.service < b.service ? -1 : 1));
  return `${JSON.stringify({ version: 1, servers: sorted } satisfies HealthFile)}\n`;
}

/** The saved verdicts; none when there is no file. Throws on a broken one. */
export async function readHealthState(dir: string): Promise<StoredHealth[]> {
  const text = await readStateFile(dir, HEALTH_FILE);
  return text === undefined ? [] : parseHealthState(text);
}

/** The writer of this file (atomic, in order, unchanged contents skipped). */
export function healthStateWriter(dir: () => string): StateFileWriter<readonly StoredHealth[]> {
  return new StateFileWriter(dir, HEALTH_FILE, formatHealthState);
}
