// Durations in the config are written the way operators say them ("100ms", "2s", "1m30s") and
// used everywhere else as plain milliseconds. A bare number is rejected on purpose: "10" could
// mean seconds (keepalived) or milliseconds, and guessing wrong changes failover timing 1000x.

/** Milliseconds. The config loader turns every duration string into one of these. */
export type Duration = number;

/**
 * The longest delay a Node timer holds: setTimeout/setInterval store it as a signed 32-bit
 * millisecond count and replace anything above 2^31-1 with 1 ms (with only a warning), so a
 * 720h interval would fire a thousand times a second. Every duration field has a maximum at
 * or below this.
 */
export const TIMER_MAX_MS: Duration = 2 ** 31 - 1;

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['h', 'm', 's', 'ms'];

/** One or more `<number><unit>` parts, largest unit first, each unit at most once. */
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;

/** The regular expression the JSON Schema advertises; parseDuration is the authority. */
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(h|m|s|ms))+$';

/**
 * Parses "100ms", "2s", "1.5s", "1m30s", "0s" into milliseconds. Returns undefined for anything
 * else: "", "10", "-1s", "1.5.2s", "2S", "1s1m" (units out of order), "0.5ms" (not whole ms).
 */
export function parseDuration(text: string): Duration | undefined {
  if (text.length === 0) return undefined;
  let total = 0;
  let offset = 0;
  let lastUnit = -1;
  while (offset < text.length) {
    PART.lastIndex = offset;
    const m = PART.exec(text);
    if (!m || m[1] === undefined || m[2] === undefined) return undefined;
    const unitIndex = UNIT_ORDER.indexOf(m[2] as Unit);
    if (unitIndex <= lastUnit) return undefined;
    lastUnit = unitIndex;
    total += Number(m[1]) * UNIT_MS[m[2] as Unit];
    offset = PART.lastIndex;
  }
  // Decimal parts can leave float noise (1.1s = 1100.0000000000002); a fraction of a
  // millisecond left after rounding that noise away is a real fraction and is refused.
  const rounded = Math.round(total);
  if (Math.abs(total - rounded) > 1e-6 || !Number.isSafeInteger(rounded)) return undefined;
  return rounded;
}

/** The shortest canonical spelling of a duration: 100 -> "100ms", 90000 -> "1m30s", 0 -> "0s". */
export function formatDuration(ms: Duration): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of UNIT_ORDER) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * UNIT_MS[unit];
    }
  }
  return out;
}
