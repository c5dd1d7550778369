// HTTP and HTTPS checks: one request per probe on a fresh connection (no keep-alive, so a
// probe sees what a new client sees), status against a list, optional body regex or SHA-256,
// TLS verification switchable per check with SNI.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Checker, HttpCheck, ProbeResult } from '../types.js';
import { guarded, probePort, reasonFromError } from './probe.js';

/** Bytes of body read for expect_body / expect_digest; a larger body fails the check. */
const maxBodyBytes = 1024 * 1024;

export const httpChecker: Checker<HttpCheck> = (target, spec, signal) =>
  guarded(signal, spec.timeout, (onStop) =>
    new Promise<Omit<ProbeResult, 'durationMs'>>((resolve) => {
      const tls = spec.type === 'https' ? spec : undefined;
      const serverName = tls?.sni ?? (spec.host !== undefined && isIP(spec.host) === 0 ? spec.host : undefined);
      const options: https.RequestOptions = {
        host: target.address,
        port: probePort(target, spec),
        method: spec.method,
        path: spec.path,
        agent: false,
        headers: { 'user-agent': 'lvsd-health-check', connection: 'close', ...(spec.host ? { host: spec.host } : {}) },
        ...(spec.source ? { localAddress: spec.source } : {}),
        ...(tls ? { rejectUnauthorized: tls.tls_verify, ...(serverName ? { servername: serverName } : {}) } : {}),
      };
      let settled = false;
      const finish = (ok: boolean, reason: string): void => {
        if (settled) return;
        settled = true;
        req.destroy();
        resolve({ ok, reason });
      };
      const req = (tls ? https : http).request(options, (res) => {
        const status = res.statusCode ?? 0;
        if (!spec.expect_status.includes(status)) return finish(false, `status ${status}`);
        if (spec.expect_body === undefined && spec.expect_digest === undefined) return finish(true, `status ${status}`);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBodyBytes) return finish(false, 'body too large');
          chunks.push(chunk);
        });
        res.once('end', () => finish(...judgeBody(Buffer.concat(chunks), spec)));
        res.once('error', (err) => finish(false, reasonFromError(err)));
      });
      req.on('error', (err) => finish(false, reasonFromError(err)));
      onStop((reason) => finish(false, reason));
      if (!settled) req.end();
    }),
  );

function judgeBody(body: Buffer, spec: HttpCheck): [boolean, string] {
  if (spec.expect_body !== undefined && !new RegExp(spec.expect_body).test(body.toString('utf8'))) {
    return [false, 'body mismatch'];
  }
  if (spec.expect_digest !== undefined) {
    const digest = createHash('sha256').update(body).digest('hex');
    if (digest !== spec.expect_digest.toLowerCase()) return [false, 'digest mismatch'];
  }
  return [true, 'body matched'];
}
