// Building blocks for the config schema. Each carries the "expected ..." half of its error
// message; zod-messages.ts adds the "what is wrong" half from the offending value.
import * as z from 'zod';
import { parseCidr, parseIp } from './address.js';
import { DURATION_PATTERN, parseDuration } from './duration.js';

/** Prefix marking a message as an expectation that still needs the problem put in front. */
export const EXPECTED = 'expected ';

export function intIn(min: number, max: number, what = 'an integer') {
  const error = `${EXPECTED}${what} ${min}-${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

export const port = () => intIn(1, 65535, 'a port');

export function duration(description: string) {
  const error = `${EXPECTED}a duration such as 100ms, 2s or 1m30s`;
  return z
    .string({ error })
    .regex(new RegExp(DURATION_PATTERN), { error })
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.issues.push({ code: 'custom', message: error, input: text });
        return z.NEVER;
      }
      return ms;
    })
    .describe(`${description} (a duration: 100ms, 2s, 1m30s; milliseconds after loading)`);
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

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no '/', ':' or whitespace. */
export function interfaceName(description: string) {
  const error = `${EXPECTED}a network interface name of 1-15 characters without '/', ':' or spaces`;
  return z
    .string({ error })
    .regex(/^(?!\.{1,2}$)[^/:\s]{1,15}$/, { error })
    .describe(description);
}

/** A command run without a shell: program then arguments. */
export function argv(description: string) {
  const error = `${EXPECTED}a command as a list of strings [program, arg, ...]`;
  return z
    .array(z.string({ error }).min(1, { error }), { error })
    .min(1, { error })
    .describe(description);
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
