// HTTP and HTTPS checks: for each URL of the check, in order, one request on a fresh connection
// (no keep-alive, so a probe sees what a new client sees); every URL must answer one of its
// expected statuses and, when set, match its body regex or digest. The check's timeout covers
// all of them. HTTPS verifies the server (system store or the check's CA) with SNI, and presents
// a client certificate to backends that require one (mTLS).
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { parseExpectedStatus, type ExpectedStatus } from '../../config/http-status.js';
import type { HttpUrlConfig } from '../../config/types.js';
import type { Checker, HttpCheck, ProbeResult, ProbeTarget } from '../types.js';
import { guarded, type OnStop, probePort, reasonFromError } from './probe.js';
import { tlsContext } from './tls-context.js';

/** Bytes of body read for expect_body / expect_digest; a larger body fails the check. */
const maxBodyBytes = 1024 * 1024;

type Verdict = Omit<ProbeResult, 'durationMs'>;

/** The URLs a check requests: its `urls`, or the one its single-URL fields describe. */
export function httpUrls(spec: HttpCheck): HttpUrlConfig[] {
  if (spec.urls) return spec.urls;
  const url: HttpUrlConfig = { path: spec.path ?? '/', expect_status: spec.expect_status ?? [200] };
  if (spec.expect_body !== undefined) url.expect_body = spec.expect_body;
  if (spec.expect_digest !== undefined) url.expect_digest = spec.expect_digest;
  return [url];
}

/** Whether `status` is one of `expected` (codes and "low-high" ranges). */
export function statusExpected(expected: readonly ExpectedStatus[], status: number): boolean {
  return expected.some((e) => {
    const range = parseExpectedStatus(e);
    return !('problem' in range) && status >= range.low && status <= range.high;
  });
}

export const httpChecker: Checker<HttpCheck> = (target, spec, signal) =>
  guarded(signal, spec.timeout, async (onStop) => {
    const stops = stopNotices(onStop);
    const urls = httpUrls(spec);
    let verdict: Verdict = { ok: false, reason: 'no url' };
    for (const url of urls) {
      verdict = await requestOnce(target, spec, url, stops);
      // With several URLs the reason says which one failed: "/ready: status 503".
      if (!verdict.ok) return urls.length > 1 ? { ...verdict, reason: `${url.path}: ${verdict.reason}` } : verdict;
    }
    return urls.length > 1 ? { ok: true, reason: `${urls.length} urls passed` } : verdict;
  });

/** guarded() has one stop listener; the requests made one after another each need it. */
function stopNotices(onStop: OnStop): OnStop {
  let current: ((reason: string) => void) | undefined;
  let stopped: string | undefined;
  onStop((reason) => {
    stopped = reason;
    current?.(reason);
  });
  return (listener) => {
    current = listener;
    if (stopped !== undefined) listener(stopped);
  };
}

function requestOnce(target: ProbeTarget, spec: HttpCheck, url: HttpUrlConfig, onStop: OnStop): Promise<Verdict> {
  return new Promise<Verdict>((resolve) => {
    let settled = false;
    let req: http.ClientRequest | undefined;
    const finish = (ok: boolean, reason: string): void => {
      if (settled) return;
      settled = true;
      req?.destroy();
      resolve({ ok, reason });
    };
    onStop((reason) => finish(false, reason));
    if (settled) return;
    let options: ProbeRequestOptions;
    try {
      options = requestOptions(target, spec, url);
    } catch (err) {
      return finish(false, reasonFromError(err));
    }
    req = (spec.type === 'https' ? https : http).request(options, (res) => {
      const status = res.statusCode ?? 0;
      if (!statusExpected(url.expect_status, status)) return finish(false, `status ${status}`);
      if (url.expect_body === undefined && url.expect_digest === undefined) return finish(true, `status ${status}`);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) return finish(false, 'body too large');
        chunks.push(chunk);
      });
      res.once('end', () => finish(...judgeBody(Buffer.concat(chunks), url)));
      res.once('error', (err) => finish(false, reasonFromError(err)));
    });
    req.on('error', (err) => finish(false, reasonFromError(err)));
    req.end();
  });
}

/** Node hands these on to tls.connect, secureContext included (it is missing from RequestOptions' type). */
type ProbeRequestOptions = https.RequestOptions & Pick<ConnectionOptions, 'secureContext'>;

function requestOptions(target: ProbeTarget, spec: HttpCheck, url: HttpUrlConfig): ProbeRequestOptions {
  const options: ProbeRequestOptions = {
    host: target.address,
    port: probePort(target, spec),
    method: spec.method,
    path: url.path,
    agent: false,
    headers: { 'user-agent': 'lvsd-health-check', ...spec.headers, connection: 'close', ...(spec.host ? { host: spec.host } : {}) },
    ...(spec.source ? { localAddress: spec.source } : {}),
  };
  if (spec.type !== 'https') return options;
  const serverName = spec.sni ?? (spec.host !== undefined && isIP(spec.host) === 0 ? spec.host : undefined);
  options.rejectUnauthorized = spec.tls_verify;
  if (serverName) options.servername = serverName;
  const secureContext = tlsContext(spec);
  if (secureContext) options.secureContext = secureContext;
  return options;
}

/** keepalived's digest is MD5 (32 hex digits); lvsd's own is SHA-256 (64). */
function judgeBody(body: Buffer, url: HttpUrlConfig): [boolean, string] {
  if (url.expect_body !== undefined && !new RegExp(url.expect_body).test(body.toString('utf8'))) {
    return [false, 'body mismatch'];
  }
  if (url.expect_digest !== undefined) {
    const digest = createHash(url.expect_digest.length === 32 ? 'md5' : 'sha256').update(body).digest('hex');
    if (digest !== url.expect_digest) return [false, 'digest mismatch'];
  }
  return [true, 'body matched'];
}
