// Rules on the health checks of services and real servers: timing, source family, ports to
// check, and the TLS files of https checks. The files are read here, at load time, so a missing
// or unreadable certificate is a file:line:col error before anything starts rather than a check
// that fails on every probe with "tls: ..." later.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { familyFromName, familyName, type IpFamily, familyOf } from '../../net/address.js';
import { formatDuration } from '../duration.js';
import type { ConfigPath } from '../issues.js';
import { listChecks } from '../schema-checks.js';
import type { CheckConfig, ChecksConfig, RealServerConfig, ServiceConfig } from '../types.js';
import type { Rule, RuleContext } from './context.js';

export const checks: Rule = (ctx) => {
  ctx.config.services.forEach((svc, i) => {
    const serviceCheckPath = (): ConfigPath => ['services', i, 'check'];
    eachCheck(ctx, svc.check, serviceCheckPath, () => new Set(svc.real_servers.flatMap((rs) => serverFamilies(svc, rs))));
    const portless = svc.fwmark !== undefined ? 'a firewall mark' : 'all ports';
    // fwmark and port-0 services leave real server ports at 0: there is nothing to connect to.
    if (svc.real_servers.some((rs) => rs.check === undefined && needsPort(svc.check, rs.port))) {
      ctx.error(serviceCheckPath(), `real servers have no port to check (the service matches ${portless}), expected check port: N`);
    }
    svc.real_servers.forEach((rs, r) => {
      if (!rs.check) return;
      const path = (): ConfigPath => ['services', i, 'real_servers', r, 'check'];
      eachCheck(ctx, rs.check, path, () => new Set(serverFamilies(svc, rs)));
      if (needsPort(rs.check, rs.port)) ctx.error(path(), `${rs.address} has no port to check (the service matches ${portless}), expected check port: N`);
    });
  });
};

/** The families a real server's addresses can have: a name's are the service's, unless a tunnel lets either in. */
function serverFamilies(svc: ServiceConfig, rs: RealServerConfig): IpFamily[] {
  if (rs.host === undefined) return [familyOf(rs.address)];
  if (rs.forwarding === 'tun') return [];
  return [familyFromName(svc.family)];
}

/** Exec and ping checks connect to no port; the others need one when the real server has none. */
function needsPort(check: ChecksConfig | undefined, port: number): boolean {
  return port === 0 && listChecks(check).some((c) => c.type !== 'exec' && c.type !== 'ping' && c.port === undefined);
}

/** A single check is reported at `check.x`, one of a list at `check[n].x`. */
function eachCheck(ctx: RuleContext, check: ChecksConfig | undefined, path: () => ConfigPath, targetFamilies: () => Set<IpFamily>): void {
  if (check === undefined) return;
  if (!Array.isArray(check)) return checkOne(ctx, check as CheckConfig, path, targetFamilies);
  check.forEach((c, n) => checkOne(ctx, c, () => [...path(), n], targetFamilies));
}

/** `path` and `targetFamilies` are worked out only when there is something to report or compare. */
function checkOne(ctx: RuleContext, check: CheckConfig, path: () => ConfigPath, targetFamilies: () => Set<IpFamily>): void {
  if (check.timeout >= check.interval) {
    ctx.error([...path(), 'timeout'], `timeout ${formatDuration(check.timeout)} is not shorter than interval ${formatDuration(check.interval)}, expected timeout < interval`);
  }
  if (check.source !== undefined) {
    const family = familyOf(check.source);
    for (const target of targetFamilies()) {
      if (target !== family) ctx.error([...path(), 'source'], `${check.source} is ${familyName(family)} but the checked servers include ${familyName(target)} addresses, expected the same family`);
    }
  }
  if (check.type === 'https') tlsFiles(ctx, check, path);
}

function tlsFiles(ctx: RuleContext, check: Extract<CheckConfig, { type: 'https' }>, path: () => ConfigPath): void {
  if (check.client_cert !== undefined && check.client_key === undefined) {
    ctx.error([...path(), 'client_cert'], 'client_cert needs its private key, expected client_key beside it');
  }
  if (check.client_key !== undefined && check.client_cert === undefined) {
    ctx.error([...path(), 'client_key'], 'client_key without client_cert presents nothing, expected client_cert beside it');
  }
  if (check.ca !== undefined && !check.tls_verify) {
    ctx.warn([...path(), 'ca'], 'ca has no effect with tls_verify: false, expected tls_verify: true to check the server against it');
  }
  if (check.ca !== undefined) readPem(ctx, [...path(), 'ca'], check.ca, 'a PEM file of CA certificates', (pem) => void new X509Certificate(pem));
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  if (check.client_cert !== undefined) readPem(ctx, [...path(), 'client_cert'], check.client_cert, 'a PEM certificate', (pem) => { cert = new X509Certificate(pem); });
  if (check.client_key !== undefined) readPem(ctx, [...path(), 'client_key'], check.client_key, 'an unencrypted PEM private key', (pem) => { key = createPrivateKey(pem); });
  if (cert && key && !cert.checkPrivateKey(key)) {
    ctx.error([...path(), 'client_key'], `${check.client_key ?? ''} is not the key of ${check.client_cert ?? ''}, expected the private key that belongs to client_cert`);
  }
}

/** Reads `file` and hands its text to `parse`; a missing file or one `parse` refuses is an error at `at`. */
function readPem(ctx: RuleContext, at: ConfigPath, file: string, what: string, parse: (pem: string) => void): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? String(err)})`;
    ctx.error(at, `${file} ${why}, expected ${what}`);
    return;
  }
  try {
    parse(text);
  } catch {
    ctx.error(at, `${file} is not ${what}`);
  }
}
