// The health checks of a service or real server (`check:`) and the agent check beside them.
// Kept apart from schema.ts so that file names the checks with one import and two keys.
//
// `check:` is one check or a list of checks that must all pass (a TCP connect and an HTTP GET,
// a PING and a DNS query). Each check keeps its own interval, timeout and rise/fall; the real
// server is up while every one of them is (src/health/verdict.ts says why not one counter).
// Shapes and bounds are checked here; files (client certificates) and what relates a check to
// its servers are checked in rules/checks.ts.
import * as z from 'zod';
import { type ExpectedStatus, formatStatusRange, parseExpectedStatus } from './http-status.js';
import { EXPECTED, argv, bool, duration, filePath, hostName, httpPath, intIn, ipAddress, list, mapping, oneOf, port, text } from './primitives.js';

export const CHECK_TYPES = ['tcp', 'http', 'https', 'dns', 'udp', 'exec', 'ping'] as const;
export const DNS_QUERY_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SOA', 'SRV', 'PTR'] as const;
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;

/** A check or script that runs less than hourly watches nothing. */
const PERIOD_MAX = 3_600_000;

const timing = {
  interval: duration('time between checks', PERIOD_MAX).prefault('2s'),
  timeout: duration('a check taking longer fails; less than interval', PERIOD_MAX).prefault('1s'),
  rise: intIn(1, 100).default(2).describe('consecutive successes to mark this check up'),
  fall: intIn(1, 100).default(3).describe('consecutive failures to mark this check down'),
  warmup: duration('random delay up to this before the first check, to spread load', PERIOD_MAX).prefault('0s'),
  source: ipAddress('source address of the checks').optional(),
};

const checkCommon = {
  ...timing,
  port: port().optional().describe('check this port instead of the real server port'),
};

const checkTypeLiteral = <T extends (typeof CHECK_TYPES)[number]>(t: T) => z.literal(t).describe('check type');

const tcpCheckSchema = mapping(
  {
    type: checkTypeLiteral('tcp'),
    ...checkCommon,
    send: text('bytes to send after connecting').optional(),
    expect: text('the reply must contain this').optional(),
  },
  'TCP connect check',
);

const STATUS_ERROR = `${EXPECTED}an HTTP status such as 200 or a range such as 200-299`;

/** 200 or "200-299"; kept as written (canonical spacing) so the loaded file prints back as one. */
const expectedStatus = z.union([z.number(), z.string()], { error: STATUS_ERROR }).transform((v, ctx): ExpectedStatus => {
  const range = parseExpectedStatus(v);
  if ('problem' in range) {
    ctx.issues.push({ code: 'custom', message: range.problem, input: v });
    return z.NEVER;
  }
  return typeof v === 'number' ? v : formatStatusRange(range);
});

const DIGEST_ERROR = `${EXPECTED}32 hex digits (MD5, as keepalived's genhash prints) or 64 (SHA-256)`;

const DEFAULT_PATH = '/';
const DEFAULT_STATUS: ExpectedStatus[] = [200];

/** What one URL of an HTTP check must answer. */
const urlFields = {
  path: httpPath(`request path; default ${DEFAULT_PATH}`).optional(),
  expect_status: list(expectedStatus, `acceptable statuses: codes and ranges such as [200, 204] or ["200-299"]; default [${DEFAULT_STATUS.join(', ')}]`, 'a list of HTTP statuses')
    .min(1, { error: `${EXPECTED}at least one status code` })
    .optional(),
  expect_body: z
    .string({ error: `${EXPECTED}a regular expression` })
    .refine((re) => isValidRegex(re), { error: `${EXPECTED}a valid JavaScript regular expression` })
    .optional()
    .describe('the body must match this regular expression'),
  expect_digest: z
    .string({ error: DIGEST_ERROR })
    .regex(/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/, { error: DIGEST_ERROR })
    .transform((s) => s.toLowerCase())
    .optional()
    .describe('hex digest of the expected body: MD5 (32 digits, keepalived digest) or SHA-256 (64 digits)'),
};

const urlSchema = mapping(urlFields, 'one URL of an HTTP check and what it must answer')
  .transform((u) => ({ ...u, path: u.path ?? DEFAULT_PATH, expect_status: u.expect_status ?? DEFAULT_STATUS }))
  .meta({ id: 'HttpUrl' });

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** Headers Node writes itself for a probe (one request per fresh connection, no body). */
const RESERVED_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer']);
const HEADER_NAME_ERROR = `${EXPECTED}a header name (RFC 9110 token: letters, digits and !#$%&'*+.^_\`|~-)`;
const HEADER_VALUE_ERROR = `${EXPECTED}a header value of printable ASCII and spaces (no CR, LF or other control characters)`;

const headersSchema = z
  .record(
    z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: HEADER_NAME_ERROR }),
    z.string({ error: HEADER_VALUE_ERROR }).regex(/^[\x20-\x7e]*$/, { error: HEADER_VALUE_ERROR }),
    { error: `${EXPECTED}a mapping of header names to values` },
  )
  .superRefine((headers, ctx) => {
    for (const key of Object.keys(headers)) {
      if (RESERVED_HEADERS.has(key.toLowerCase())) {
        ctx.addIssue({ code: 'custom', message: `${EXPECTED}a header lvsd does not set itself (${key}: use host: for the Host header; lvsd sends Connection: close and no body)`, path: [key] });
      }
    }
  })
  .describe('request headers sent with every request of this check, e.g. { Authorization: "Bearer x" }');

const httpFields = {
  method: oneOf(['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS'], 'HTTP method').default('GET'),
  host: hostName('Host header; default the real server address', 'a host name').optional(),
  headers: headersSchema.optional(),
  ...urlFields,
  urls: list(urlSchema, 'several URLs, each with its own expected status and body; all must pass (instead of path, expect_status, expect_body, expect_digest)', 'a list of URLs')
    .min(1, { error: `${EXPECTED}at least one URL` })
    .optional(),
};

/** The single-URL fields, which `urls` replaces. */
const URL_KEYS = ['path', 'expect_status', 'expect_body', 'expect_digest'] as const;

/**
 * Either `urls` or the single-URL fields, whose defaults apply only without `urls`. After
 * loading a check has exactly one of the two forms; the checker reads httpUrls() of it.
 */
function singleOrUrls<T extends { urls?: unknown[] | undefined; path?: string | undefined; expect_status?: ExpectedStatus[] | undefined }>(check: T, ctx: z.RefinementCtx<T>): T {
  if (check.urls === undefined) return { ...check, path: check.path ?? DEFAULT_PATH, expect_status: check.expect_status ?? DEFAULT_STATUS };
  for (const key of URL_KEYS) {
    if (check[key as keyof T] !== undefined) ctx.issues.push({ code: 'custom', message: `${key} cannot be used with urls, expected it inside each entry of urls`, input: check, path: [key] });
  }
  return check;
}

const httpCheckSchema = mapping({ type: checkTypeLiteral('http'), ...checkCommon, ...httpFields }, 'HTTP check').transform(singleOrUrls);

const httpsCheckSchema = mapping(
  {
    type: checkTypeLiteral('https'),
    ...checkCommon,
    ...httpFields,
    tls_verify: bool('verify the server certificate').default(true),
    sni: hostName('TLS server name; default the host header', 'a server name').optional(),
    ca: filePath('PEM file of the CA certificates the server certificate must chain to; default the system store', { absolute: true }).optional(),
    client_cert: filePath('PEM certificate (chain) to present to servers that ask for one (mTLS); needs client_key', { absolute: true }).optional(),
    client_key: filePath('PEM private key of client_cert', { absolute: true }).optional(),
  },
  'HTTPS check',
).transform(singleOrUrls);

const dnsCheckSchema = mapping(
  {
    type: checkTypeLiteral('dns'),
    ...checkCommon,
    query_name: text('name to resolve', 'a domain name').regex(/^[A-Za-z0-9_.-]+\.?$/, { error: `${EXPECTED}a domain name` }),
    query_type: oneOf(DNS_QUERY_TYPES, 'record type').default('A'),
    expect_rcode: oneOf(DNS_RCODES, 'expected response code').default('NOERROR'),
    expect_answer: text('an answer record must contain this (e.g. an address)').optional(),
  },
  'DNS query check',
);

const udpCheckSchema = mapping(
  {
    type: checkTypeLiteral('udp'),
    ...checkCommon,
    send: text('payload to send'),
    expect: text('the reply must contain this; without it the server is up unless an ICMP error arrives').optional(),
  },
  'UDP check',
);

const execCheckSchema = mapping(
  {
    type: checkTypeLiteral('exec'),
    ...checkCommon,
    command: argv('program and arguments, run without a shell; LVSD_ADDRESS and LVSD_PORT are set; exit 0 = healthy'),
  },
  'external command check',
);

const pingCheckSchema = mapping(
  { type: checkTypeLiteral('ping'), ...timing },
  'ICMP echo (IPv4) or ICMPv6 echo (IPv6) to the real server address: up when the echo reply arrives within timeout',
);

export const checkSchema = z
  .discriminatedUnion('type', [
    tcpCheckSchema,
    httpCheckSchema,
    httpsCheckSchema,
    dnsCheckSchema,
    udpCheckSchema,
    execCheckSchema,
    pingCheckSchema,
  ])
  .meta({ id: 'Check', description: 'health check' });

/** `check:` of a service or real server: one check, or a list of checks that must all pass. */
export const checksSchema = z.union([checkSchema, list(checkSchema, 'checks that must all pass').min(1, { error: `${EXPECTED}at least one check` })], {
  error: `${EXPECTED}a check mapping { type, ... } or a list of them`,
});

type OneCheck = z.output<typeof checkSchema>;

/** The checks a `check:` value stands for: none, one, or the list. */
export function listChecks(check: OneCheck | readonly OneCheck[] | undefined): readonly OneCheck[] {
  if (check === undefined) return [];
  return Array.isArray(check) ? check : [check as OneCheck];
}

/** The agent check (HAProxy's agent-check protocol), beside the health check. */
export const agentSchema = mapping(
  {
    port: port().describe('TCP port of the agent on the real server'),
    interval: duration('time between agent queries', PERIOD_MAX).prefault('2s'),
    timeout: duration('an agent slower than this is taken as unreachable (which changes nothing); less than interval', PERIOD_MAX).prefault('1s'),
    send: text('bytes to send after connecting, e.g. "status\\n"').optional(),
    source: ipAddress('source address of the agent queries').optional(),
  },
  'agent check: the real server answers one line (ready, drain, maint, up, down, or a percentage of the weight) and lvsd follows it; needs a health check too',
);
