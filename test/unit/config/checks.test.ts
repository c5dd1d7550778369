// `check:` as one check or a list, HTTP urls with status ranges and digests, headers, TLS files,
// ping, and on_failure per real server: what loads, and the file:line:col of what does not.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIssue, parseConfigText, type LoadResult } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { describeWith } from '../../support/needs.js';

function loaded(r: LoadResult): Config {
  if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
  return r.config;
}

/** A service whose check (or its first real server's) is `check`, written in flow style on one line. */
const file = (check: string, rs = '') => `node: { name: lb1 }
services:
  - name: web
    vip: 198.18.0.100
    port: 80
    check: ${check}
    real_servers:
      - { address: 198.18.1.11${rs} }
`;

const errorsOf = (text: string): string[] => {
  const r = parseConfigText(text, 't.yaml');
  return r.ok ? [] : r.errors.map(formatIssue);
};

describe('check lists', () => {
  it('takes one check or a list that must all pass, and a real server list replaces the service one', () => {
    const svc = loaded(parseConfigText(file('[{ type: tcp }, { type: http, path: /ready }, { type: ping, interval: 1s, timeout: 500ms }]', ', check: { type: ping }'), 't.yaml')).services[0];
    expect(svc?.check).toEqual([
      { type: 'tcp', interval: 2000, timeout: 1000, rise: 2, fall: 3, warmup: 0 },
      { type: 'http', method: 'GET', path: '/ready', expect_status: [200], interval: 2000, timeout: 1000, rise: 2, fall: 3, warmup: 0 },
      { type: 'ping', interval: 1000, timeout: 500, rise: 2, fall: 3, warmup: 0 },
    ]);
    expect(svc?.real_servers[0]?.check).toEqual({ type: 'ping', interval: 2000, timeout: 1000, rise: 2, fall: 3, warmup: 0 });
  });

  it('points at the check in the list that is wrong', () => {
    expect(errorsOf(file('[{ type: tcp }, { type: tcp, timeout: 3s }]'))).toEqual([
      't.yaml:6:50: services[0].check[1].timeout: timeout 3s is not shorter than interval 2s, expected timeout < interval',
    ]);
    expect(errorsOf(file('[]'))).toEqual(['t.yaml:6:12: services[0].check: list has 0 items, expected at least one check']);
    expect(errorsOf(file('[{ type: ping, port: 80 }]'))[0]).toMatch(/^t\.yaml:6:27: services\[0\]\.check\[0\]: unknown key "port", it only applies with type: tcp/);
  });

  it('a real server may drain instead of being removed on failure (keepalived inhibit_on_failure)', () => {
    const svc = loaded(parseConfigText(file('{ type: tcp }', ', on_failure: drain'), 't.yaml')).services[0];
    expect(svc?.on_failure).toBe('remove');
    expect(svc?.real_servers[0]?.on_failure).toBe('drain');
    expect(errorsOf(file('{ type: tcp }', ', on_failure: inhibit'))[0]).toMatch(/^t\.yaml:8:45: .*on_failure: "inhibit" is not allowed.*expected one of remove, drain/);
  });
});

describe('http checks', () => {
  it('urls each with statuses (codes and ranges) and a digest; headers', () => {
    const md5 = 'D41D8CD98F00B204E9800998ECF8427E';
    const check = loaded(parseConfigText(file(`{ type: http, headers: { X-Probe: lvsd }, urls: [{ path: /a, expect_status: ["200-299", 304] }, { expect_digest: ${md5} }] }`), 't.yaml')).services[0]?.check;
    expect(check).toMatchObject({
      headers: { 'X-Probe': 'lvsd' },
      urls: [{ path: '/a', expect_status: ['200-299', 304] }, { path: '/', expect_status: [200], expect_digest: md5.toLowerCase() }],
    });
    expect(check).not.toHaveProperty('path');
  });

  it('refuses inverted ranges, codes outside 100-599, digests that are not hex, urls beside path, reserved headers', () => {
    expect(errorsOf(file('{ type: http, expect_status: [200, "299-200"] }'))).toEqual([
      't.yaml:6:47: services[0].check.expect_status[1]: "299-200" is not valid, expected a range low-high with low <= high (200-299?)',
    ]);
    expect(errorsOf(file('{ type: http, expect_status: [700] }'))[0]).toMatch(/^t\.yaml:6:42: .*expect_status\[0\]: 700 is not valid, expected an HTTP status 100-599/);
    expect(errorsOf(file(`{ type: http, urls: [{ expect_digest: ${'g'.repeat(32)} }] }`))[0]).toMatch(
      /^t\.yaml:6:50: services\[0\]\.check\.urls\[0\]\.expect_digest: .* expected 32 hex digits \(MD5, as keepalived's genhash prints\) or 64 \(SHA-256\)/,
    );
    expect(errorsOf(file('{ type: http, path: /x, urls: [{ path: /y }] }'))).toEqual([
      't.yaml:6:32: services[0].check.path: path cannot be used with urls, expected it inside each entry of urls',
    ]);
    expect(errorsOf(file('{ type: http, headers: { Host: a.test } }'))[0]).toMatch(/^t\.yaml:6:43: services\[0\]\.check\.headers\.Host: .*use host: for the Host header/);
    expect(errorsOf(file('{ type: http, headers: { "X-A": "a\\r\\nB: c" } }'))[0]).toMatch(/^t\.yaml:6:\d+: services\[0\]\.check\.headers\.X-A: .*no CR, LF/);
  });
});

describeWith(['openssl'], 'https client certificates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-checks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const make = (name: string): { cert: string; key: string } => {
    const cert = join(dir, `${name}.pem`);
    const key = join(dir, `${name}.key`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
    return { cert, key };
  };

  it('loads readable PEM files and reports a missing, foreign or mismatched one at its key', () => {
    const a = make('a');
    const b = make('b');
    const https = (extra: string) => `{ type: https, ${extra} }`;
    expect(errorsOf(file(https(`ca: ${a.cert}, client_cert: ${a.cert}, client_key: ${a.key}`)))).toEqual([]);
    expect(errorsOf(file(https(`client_cert: ${dir}/missing.pem, client_key: ${a.key}`)))).toEqual([
      `t.yaml:6:40: services[0].check.client_cert: ${dir}/missing.pem does not exist, expected a PEM certificate`,
    ]);
    expect(errorsOf(file(https(`client_cert: ${a.cert}, client_key: ${b.key}`)))[0]).toMatch(/^t\.yaml:6:\d+: services\[0\]\.check\.client_key: .*b\.key is not the key of .*a\.pem/);
    expect(errorsOf(file(https(`ca: ${a.key}`)))[0]).toMatch(/^t\.yaml:6:31: services\[0\]\.check\.ca: .*a\.key is not a PEM file of CA certificates/);
    expect(errorsOf(file(https(`client_cert: ${a.cert}`)))).toEqual(['t.yaml:6:40: services[0].check.client_cert: client_cert needs its private key, expected client_key beside it']);
    expect(errorsOf(file(https('client_cert: certs/a.pem, client_key: certs/a.key')))[0]).toMatch(/expected an absolute path/);
    writeFileSync(join(dir, 'empty.pem'), '');
    expect(errorsOf(file(https(`ca: ${dir}/empty.pem`)))[0]).toMatch(/empty\.pem is not a PEM file of CA certificates/);
  });
});
