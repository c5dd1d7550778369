// keepalived's checkers (TCP_CHECK, HTTP_GET, SSL_GET, DNS_CHECK, MISC_CHECK, UDP_CHECK,
// SMTP_CHECK, PING_CHECK) -> lvsd checks; a real server with several checkers gets the list (all
// must pass, as in keepalived, where any failing checker takes the server out). Timing follows keepalived.conf(5): each of
// delay_loop, connect_timeout, retry, delay_before_retry and warmup is inherited virtual_server
// -> real_server -> checker. keepalived marks a server down after 1 + retry failed attempts and
// up after one success; lvsd counts rise/fall per interval, so fall = retry + 1 and rise = 1.
import { parseIp } from '../net/address.js';
import { dispatch, duration, type Block, type MapContext } from './context.js';
import type { Statement, Token } from './types.js';
import { commandArgv } from './words.js';

const HOUR = 3_600_000;

/** Timing settings a virtual_server or real_server passes down to its checkers. */
export interface CheckTiming {
  delay_loop?: number;
  connect_timeout?: number;
  retry?: number;
  delay_before_retry?: number;
  warmup?: number;
  virtualhost?: string;
}

export const CHECKERS = new Set(['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'DNS_CHECK', 'MISC_CHECK', 'UDP_CHECK', 'SMTP_CHECK', 'PING_CHECK', 'BFD_CHECK', 'FILE_CHECK']);

/** Reads a timing keyword into `timing`; false when `s` is not one. */
export function readTiming(ctx: MapContext, s: Statement, timing: CheckTiming): boolean {
  switch (s.keyword.text) {
    case 'delay_loop':
    case 'connect_timeout':
    case 'delay_before_retry':
    case 'warmup': {
      const ms = ctx.seconds(s, HOUR);
      if (ms !== undefined) timing[s.keyword.text] = ms;
      return true;
    }
    case 'retry':
    case 'nb_get_retry': {
      const n = ctx.int(s, 0, 99);
      if (n !== undefined) timing.retry = n;
      return true;
    }
    case 'virtualhost':
      timing.virtualhost = ctx.arg(s, 'a host name')?.text;
      return true;
    default:
      return false;
  }
}

const GENERIC_UNSUPPORTED: Record<string, string> = {
  connect_ip: 'lvsd checks the real server address itself, expected a check on that address',
  bind_if: 'lvsd picks the interface from the route to the server',
  bind_port: 'lvsd checks from an ephemeral port',
  fwmark: 'lvsd does not mark check packets',
  log_all_failures: 'lvsd logs health changes, not each failed attempt',
  alpha: '',
};

/** Durations from keepalived numbers, with timeout kept below interval as lvsd requires. */
function timingFields(ctx: MapContext, s: Statement, t: CheckTiming, defaultRetry: number, timeoutMs: number | undefined): Block {
  const interval = t.delay_loop ?? 60_000;
  let timeout = timeoutMs ?? t.connect_timeout ?? 5000;
  if (timeout >= interval) {
    const fitted = Math.max(1, interval - Math.min(Math.floor(interval / 2), 100));
    ctx.findings.approximate(s.keyword, `${s.keyword.text} connect_timeout`, `lvsd needs a timeout shorter than the interval (delay_loop ${duration(interval)}), written as ${duration(fitted)}`);
    timeout = fitted;
  }
  const retry = t.retry ?? defaultRetry;
  if (retry > 0 && t.delay_before_retry !== undefined && t.delay_before_retry !== interval) {
    ctx.findings.approximate(s.keyword, `${s.keyword.text} delay_before_retry`, `lvsd retries at the interval (${duration(interval)}), not after ${duration(t.delay_before_retry)}: a failed server is marked down after fall x interval`);
  }
  const out: Block = { interval: duration(interval), timeout: duration(timeout), rise: 1, fall: Math.min(100, retry + 1) };
  if (t.warmup !== undefined) out.warmup = duration(t.warmup);
  return out;
}

/** keepalived status_code list: codes and ranges such as 200-299, written the same way. */
function statusCodes(ctx: MapContext, s: Statement): (number | string)[] | undefined {
  const codes: (number | string)[] = [];
  for (const t of s.args) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(t.text);
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2] ?? m?.[1]);
    if (!m || lo < 100 || hi > 599 || lo > hi) {
      ctx.findings.drop(t, 'status_code', `"${t.text}" is not a status code or range within 100-599, it is left out`);
      continue;
    }
    codes.push(lo === hi ? lo : `${lo}-${hi}`);
  }
  return codes.length > 0 ? codes : undefined;
}

/** keepalived's free-form hex strings ("Ab12f 3 456"): groups of two digits, a lone digit is one byte. */
function hexBytes(tokens: readonly Token[]): number[] | undefined {
  const bytes: number[] = [];
  for (const t of tokens) {
    if (!/^[0-9a-fA-F]+$/.test(t.text)) return undefined;
    for (let i = 0; i < t.text.length; i += 2) bytes.push(parseInt(t.text.slice(i, i + 2), 16));
  }
  return bytes;
}

/** Printable bytes as text (lvsd's UDP payloads are text). */
function asText(bytes: readonly number[] | undefined): string | undefined {
  if (!bytes || bytes.length === 0 || bytes.some((b) => b < 0x20 || b > 0x7e)) return undefined;
  return String.fromCharCode(...bytes);
}

const DNS_TYPES = new Set(['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA']);

/** One checker block -> an lvsd check, or undefined (with a finding) when it has no equivalent. */
export function mapChecker(ctx: MapContext, s: Statement, inherited: CheckTiming): Block | undefined {
  const kind = s.keyword.text;
  if (kind === 'BFD_CHECK' || kind === 'FILE_CHECK') {
    ctx.unsupported(s, { BFD_CHECK: 'lvsd has no BFD, expected a tcp or http check', FILE_CHECK: 'lvsd has no file check, expected an exec check such as [sh, -c, "test $(cat FILE) -eq 0"]' }[kind]);
    return undefined;
  }
  const t: CheckTiming = { ...inherited };
  const check: Block = {};
  let timeoutMs: number | undefined;
  const urls: Block[] = [];
  let udpSend: string | undefined;
  const specific: Record<string, (x: Statement) => void> = {
    connect_port: (x) => { const p = ctx.int(x, 1, 65535); if (p !== undefined) check.port = p; },
    bindto: (x) => { const a = parseIp(x.args[0]?.text ?? ''); if (a) check.source = a.address; else ctx.unsupported(x, 'expected an address'); },
  };
  switch (kind) {
    case 'HTTP_GET':
    case 'SSL_GET':
      check.type = kind === 'HTTP_GET' ? 'http' : 'https';
      specific.url = (x) => void urls.push(mapUrl(ctx, x, check));
      specific.http_protocol = (x) => ctx.findings.approximate(x.keyword, 'http_protocol', 'lvsd sends its own HTTP/1.1 request');
      specific.fast_recovery = () => undefined;
      specific.enable_sni = () => undefined;
      break;
    case 'TCP_CHECK':
      check.type = 'tcp';
      break;
    case 'PING_CHECK':
      check.type = 'ping';
      specific.connect_port = (x) => ctx.unsupported(x, 'an ICMP echo has no port');
      break;
    case 'SMTP_CHECK':
      check.type = 'tcp';
      check.expect = '220';
      ctx.findings.approximate(s.keyword, kind, 'lvsd has no SMTP check; imported as a tcp check that expects the 220 greeting (no HELO is sent)');
      specific.helo_name = (x) => ctx.unsupported(x, 'the tcp check sends no HELO');
      break;
    case 'DNS_CHECK':
      check.type = 'dns';
      check.query_name = '.';
      check.query_type = 'SOA';
      specific.type = (x) => {
        const v = x.args[0]?.text.toUpperCase() ?? '';
        if (DNS_TYPES.has(v)) check.query_type = v;
        else ctx.unsupported(x, 'expected A, NS, CNAME, SOA, MX, TXT or AAAA');
      };
      specific.name = (x) => { const v = ctx.arg(x, 'a domain name'); if (v) check.query_name = v.text; };
      break;
    case 'MISC_CHECK':
      check.type = 'exec';
      specific.misc_path = (x) => { check.command = commandArgv(x.args.map((a) => a.raw)); };
      specific.misc_timeout = (x) => { timeoutMs = ctx.seconds(x, HOUR); };
      specific.misc_dynamic = (x) => ctx.unsupported(x, 'lvsd does not set weights from exit codes, the exit code only decides up (0) or down');
      specific.user = (x) => ctx.unsupported(x, 'lvsd runs checks as its own user, expected the command to change user itself');
      break;
    case 'UDP_CHECK':
      check.type = 'udp';
      specific.payload = (x) => {
        udpSend = asText(hexBytes(x.args));
        if (udpSend === undefined) ctx.unsupported(x, 'lvsd sends text payloads, this one is not printable text; expected an exec check for binary protocols');
      };
      specific.require_reply = (x) => {
        if (x.args.length === 0) {
          ctx.findings.approximate(x.keyword, 'require_reply', 'lvsd needs text to expect; without it a server is up unless an ICMP error arrives');
          return;
        }
        const expect = asText(hexBytes(x.args));
        if (expect !== undefined && !/[xX]/.test(x.args.map((a) => a.text).join(''))) check.expect = expect;
        else ctx.unsupported(x, 'lvsd expects text in the reply, this pattern is not printable text');
      };
      specific.min_reply_length = (x) => ctx.unsupported(x, 'lvsd does not check reply lengths');
      specific.max_reply_length = (x) => ctx.unsupported(x, 'lvsd does not check reply lengths');
      break;
    default:
      ctx.unsupported(s, 'not a checker lvsd knows');
      return undefined;
  }
  dispatch(s.block, specific, (x) => {
    if (readTiming(ctx, x, t)) return;
    const why = GENERIC_UNSUPPORTED[x.keyword.text];
    if (why === '') return;
    ctx.unsupported(x, why ?? `not a ${kind} setting lvsd knows`);
  });
  if (check.type === 'exec' && check.command === undefined) {
    ctx.unsupported(s, 'the MISC_CHECK has no misc_path, the check is not imported');
    return undefined;
  }
  if (check.type === 'udp') {
    if (udpSend === undefined) {
      ctx.findings.approximate(s.keyword, kind, 'keepalived sends random bytes without a payload; lvsd sends the text "lvsd"');
      udpSend = 'lvsd';
    }
    check.send = udpSend;
  }
  if (check.type === 'http' || check.type === 'https') {
    if (check.host === undefined && t.virtualhost !== undefined) check.host = t.virtualhost;
    if (check.type === 'https') Object.assign(check, { tls_verify: false }, ctx.sslClient);
    // keepalived's default is any 2xx.
    for (const url of urls) url.expect_status ??= ['200-299'];
    if (urls.length === 1) Object.assign(check, urls[0]);
    else if (urls.length > 1) check.urls = urls;
    else check.expect_status = ['200-299'];
  }
  const defaultRetry = kind === 'DNS_CHECK' ? 3 : kind === 'MISC_CHECK' ? 0 : 1;
  return { type: check.type, ...timingFields(ctx, s, t, defaultRetry, timeoutMs), ...withoutType(check) };
}

function withoutType(check: Block): Block {
  const { type: _type, ...rest } = check;
  return rest;
}

/** One url block: its path, statuses, digest and body pattern (the url's virtualhost goes on the check). */
function mapUrl(ctx: MapContext, s: Statement, check: Block): Block {
  const url: Block = {};
  dispatch(s.block, {
    path: (x) => {
      const p = ctx.arg(x, 'a path')?.text;
      if (p !== undefined && /^\/[\x21-\x7e]*$/.test(p)) url.path = p;
      else if (p !== undefined) ctx.unsupported(x, `"${p}" is not a path lvsd can send, expected / and printable ASCII (percent-encode the rest)`);
    },
    status_code: (x) => { const codes = statusCodes(ctx, x); if (codes) url.expect_status = codes; },
    digest: (x) => {
      const v = ctx.arg(x, 'an MD5 digest')?.text;
      if (v !== undefined && /^[0-9a-fA-F]{32}$/.test(v)) url.expect_digest = v.toLowerCase();
      else if (v !== undefined) ctx.unsupported(x, `"${v}" is not an MD5 digest (32 hex digits, as genhash prints), expected one`);
    },
    virtualhost: (x) => {
      const v = ctx.arg(x, 'a host name');
      if (!v) return;
      if (check.host !== undefined && check.host !== v.text) ctx.unsupported(x, `lvsd sends one Host per check (${String(check.host)}), expected the same virtualhost on every url`);
      else check.host = v.text;
    },
    regex: (x) => {
      const v = ctx.arg(x, 'a regular expression')?.text;
      if (v === undefined) return;
      try {
        new RegExp(v);
        url.expect_body = v;
        ctx.findings.approximate(x.keyword, 'regex', 'lvsd matches a JavaScript regular expression, the same for common patterns as keepalived\'s PCRE2');
      } catch {
        ctx.unsupported(x, 'not a JavaScript regular expression, expected one lvsd can match');
      }
    },
    regex_no_match: (x) => ctx.unsupported(x, 'lvsd cannot invert the match, expected a pattern that must match'),
    regex_options: (x) => ctx.unsupported(x, 'lvsd has no regex options, expected them written into the pattern'),
  }, (x) => ctx.unsupported(x, 'not a url setting lvsd knows'));
  return url;
}

/**
 * The top-level SSL block: the client certificate and key every SSL_GET presents (mTLS). keepalived
 * loads `ca` without verifying the server with it, and its SSL_GET checks stay tls_verify: false here.
 */
export function mapSsl(ctx: MapContext, s: Statement): void {
  const absolute = (x: Statement, key: string): void => {
    const v = ctx.arg(x, 'a file')?.text;
    if (v === undefined) return;
    if (v.startsWith('/')) ctx.sslClient[key] = v;
    else ctx.unsupported(x, `"${v}" is relative; lvsd needs an absolute path, expected the full path of the file`);
  };
  dispatch(s.block, {
    certificate: (x) => absolute(x, 'client_cert'),
    key: (x) => absolute(x, 'client_key'),
    ca: (x) => ctx.unsupported(x, 'keepalived loads the CA without checking the server against it; lvsd imports SSL_GET as tls_verify: false like that, expected ca with tls_verify: true on the check to verify the server'),
    password: (x) => ctx.unsupported(x, 'lvsd reads unencrypted keys, expected the key decrypted (openssl pkey -in KEY -out KEY.plain)'),
  }, (x) => ctx.unsupported(x, 'not an SSL setting lvsd knows'));
}
