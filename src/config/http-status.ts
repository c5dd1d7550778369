// Expected HTTP statuses as the config writes them: a code (200) or an inclusive range
// ("200-299", keepalived's status_code syntax). Kept as written after loading, so that
// `lvsd check --json` prints a file that loads again; the health checker matches against it.

/** A code or a "low-high" range, as written. */
export type ExpectedStatus = number | string;

/** The codes an HTTP status line can carry (RFC 9110 15: three digits, 1xx-5xx). */
export const STATUS_MIN = 100;
export const STATUS_MAX = 599;

export interface StatusRange {
  low: number;
  high: number;
}

/** The range a code or "low-high" stands for, or what is wrong with it ("expected ..."). */
export function parseExpectedStatus(value: ExpectedStatus): StatusRange | { problem: string } {
  const within = `${STATUS_MIN}-${STATUS_MAX}`;
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= STATUS_MIN && value <= STATUS_MAX ? { low: value, high: value } : { problem: `expected an HTTP status ${within}` };
  }
  const m = /^\s*(\d{3})\s*-\s*(\d{3})\s*$/.exec(value) ?? /^\s*(\d{3})\s*$/.exec(value);
  if (!m) return { problem: `expected an HTTP status ${within} or a range such as 200-299` };
  const low = Number(m[1]);
  const high = Number(m[2] ?? m[1]);
  if (low < STATUS_MIN || high > STATUS_MAX) return { problem: `expected statuses within ${within}` };
  if (low > high) return { problem: `expected a range low-high with low <= high (${high}-${low}?)` };
  return { low, high };
}

/** Canonical text of a range: "200" for one code, "200-299" for more. */
export function formatStatusRange({ low, high }: StatusRange): string {
  return low === high ? String(low) : `${low}-${high}`;
}
