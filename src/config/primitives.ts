// Building blocks for the config schema. Each carries the "expected ..." half of its error
// message; zod-messages.ts adds the "what is wrong" half from the offending value.
import * as z from 'zod';
import { parseCidr, parseIp } from '../net/address.js';
import { DURATION_PATTERN, TIMER_MAX_MS, formatDuration, parseDuration, type Duration } from './duration.js';

/** Prefix marking a message as an expectation that still needs the problem put in front. */
export const EXPECTED = 'expected ';

export function intIn(min: number, max: number, what = 'an integer') {
  const error = `${EXPECTED}${what} ${min}-${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

export const port = () => intIn(1, 65535, 'a port');

/**
 * A duration of at most `max` ms. Every field has one (never above TIMER_MAX_MS, which is what
 * a timer can hold); `why` says where a tighter limit comes from when it is not plain sense.
 */
export function duration(description: string, max: Duration, why?: string) {
  if (max > TIMER_MAX_MS) throw new Error(`duration maximum ${max} ms is above what a timer can hold`);
  const error = `${EXPECTED}a duration such as 100ms, 2s or 1m30s`;
  const tooLong = `${EXPECTED}at most ${formatDuration(max)}${why ? ` (${why})` : ''}`;
  return z
    .string({ error })
    .regex(new RegExp(DURATION_PATTERN), { error })
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.issues.push({ code: 'custom', message: error, input: text });
        return z.NEVER;
      }
      if (ms > max) {
        ctx.issues.push({ code: 'too_big', origin: 'number', maximum: max, inclusive: true, message: tooLong, input: text });
        return z.NEVER;
      }
      return ms;
    })
    .describe(`${description} (a duration: 100ms, 2s, 1m30s; at most ${formatDuration(max)}; milliseconds after loading)`);
}

/** An IPv4 or IPv6 address, canonicalized. */
export function ipAddress(description: string) {
  const error = `${EXPECTED}an IPv4 or IPv6 address such as 198.18.0.1 or 2001:2::1`;
  return z
    .string({ error })
    .transform((text, ctx) => {
      const ip = parseIp(text);
      if (!ip) {
        ctx.issues.push({ code: 'custom', message: error, input: text });
        return z.NEVER;
      }
      return ip.address;
    })
    .describe(description);
}

/** An address with an optional /prefix; a bare address is a host route. */
export function cidr(description: string) {
  const error = `${EXPECTED}an address with an optional prefix such as 198.18.0.100/24 or 2001:2::100/64`;
  return z
    .string({ error })
    .transform((text, ctx) => {
      const parsed = parseCidr(text, { defaultHostPrefix: true });
      if (!parsed) {
        ctx.issues.push({ code: 'custom', message: error, input: text });
        return z.NEVER;
      }
      return { address: parsed.address, prefix: parsed.prefix };
    })
    .describe(description);
}

/** Names appear in logs, metric labels and control-socket commands, so keep them plain. */
export function name(description: string) {
  const error = `${EXPECTED}a name of 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`;
  return z
    .string({ error })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error })
    .describe(description);
}

// C0 control characters and DEL (\x00-\x1f, \x7f) are refused wherever lvsd passes a string on
// (interface names, labels, paths, commands, HTTP request lines): a NUL ends a C string early or
// makes Node throw, a CR LF in a header starts a new header, an escape sequence rewrites the
// terminal of whoever reads the log.

/** Commands keep tab and newline: a script passed to `sh -c` may contain them. */
const CONTROL_EXCEPT_TAB_NEWLINE = /[\x00-\x08\x0b-\x1f\x7f]/;

/** IFNAMSIZ (linux/if.h) counts the terminating NUL: names and labels hold 15 bytes. */
const IFNAMSIZ = 16;
const fitsIfnamsiz = (s: string): boolean => Buffer.byteLength(s, 'utf8') <= IFNAMSIZ - 1;

/**
 * Linux interface names as dev_valid_name() (net/core/dev.c) accepts them: 1-15 bytes of UTF-8,
 * not "." or "..", no '/', ':' or whitespace; control characters are refused as well.
 */
export function interfaceName(description: string) {
  const error = `${EXPECTED}a network interface name of 1-15 bytes without '/', ':', spaces or control characters`;
  return z
    .string({ error })
    .regex(/^(?!\.{1,2}$)[^/:\s\x00-\x1f\x7f]{1,15}$/, { error, abort: true })
    .refine(fitsIfnamsiz, { error })
    .describe(description);
}

/** An IPv4 address label (IFA_LABEL): an IFNAMSIZ buffer like an interface name. */
export function addressLabel(description: string) {
  const error = `${EXPECTED}an address label of 1-15 bytes without control characters, e.g. eth0:vip`;
  return z
    .string({ error })
    .regex(/^[^\x00-\x1f\x7f]{1,15}$/, { error, abort: true })
    .refine(fitsIfnamsiz, { error })
    .describe(description);
}

/** A command run without a shell: program then arguments (execve() takes NUL-terminated strings). */
export function argv(description: string) {
  const error = `${EXPECTED}a command as a list of strings [program, arg, ...]`;
  const clean = `${EXPECTED}an argument without NUL or control characters (tab and newline are allowed)`;
  return z
    .array(
      z.string({ error }).min(1, { error, abort: true }).refine((arg) => !CONTROL_EXCEPT_TAB_NEWLINE.test(arg), { error: clean }),
      { error },
    )
    .min(1, { error })
    .describe(description);
}

/** A file system path; `absolute` for paths the daemon creates or binds. */
export function filePath(description: string, options: { absolute?: boolean } = {}) {
  const error = `${EXPECTED}${options.absolute ? 'an absolute path' : 'a file path'} without control characters`;
  return z
    .string({ error })
    .regex(options.absolute ? /^\/[^\x00-\x1f\x7f]+$/ : /^[^\x00-\x1f\x7f]+$/, { error })
    .describe(description);
}

/**
 * A host name for an HTTP Host header or TLS SNI: printable ASCII without spaces, so it cannot
 * end the header line (CR LF) and start another.
 */
export function hostName(description: string, what: string) {
  const error = `${EXPECTED}${what} such as www.example.test (printable ASCII, no spaces or control characters)`;
  return z.string({ error }).regex(/^[\x21-\x7e]+$/, { error }).describe(description);
}

/** An HTTP request target (RFC 9112 3.2): '/' then printable ASCII; anything else percent-encoded. */
export function httpPath(description: string) {
  const error = `${EXPECTED}a path starting with / in printable ASCII (percent-encode spaces, control characters and other bytes)`;
  return z.string({ error }).regex(/^\/[\x21-\x7e]*$/, { error }).describe(description);
}

export function text(description: string, what = 'a non-empty string') {
  const error = `${EXPECTED}${what}`;
  return z.string({ error }).min(1, { error }).describe(description);
}

export function bool(description: string) {
  return z.boolean({ error: `${EXPECTED}true or false` }).describe(description);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, description: string) {
  return z.enum(values, { error: `${EXPECTED}one of ${values.join(', ')}` }).describe(description);
}

export function list<T extends z.ZodType>(item: T, description: string, what = 'a list') {
  return z.array(item, { error: `${EXPECTED}${what}` }).describe(description);
}

export function mapping<T extends z.core.$ZodLooseShape>(shape: T, description: string) {
  return z.strictObject(shape, { error: `${EXPECTED}a mapping (key: value)` }).describe(description);
}
