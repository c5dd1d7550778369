// The BIRD config generator against BIRD itself: for every option of the bgp section, the
// generated fragment is parsed by `bird -p` (parse only, nothing started), so a change in either
// that BIRD would refuse fails here, not on a director.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, expect, it } from 'vitest';
import { birdConfig } from '../../../src/bgp/bird-config.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { BgpConfig } from '../../../src/config/types.js';
import { describeWith } from '../../support/needs.js';
import type { Obj } from '../config/builders.js';
import { peer, withBgp } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'lvsd-bird-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loaded(config: Obj): BgpConfig {
  const result = parseConfigText(stringify(config), 'c.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  if (!result.config.bgp) throw new Error('no bgp section');
  return result.config.bgp;
}

/** `bird -p` on the text: its complaint, or undefined when BIRD accepts it. */
function birdRefuses(text: string, name: string): string | undefined {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, text);
  try {
    execFileSync('bird', ['-p', '-c', file], { stdio: 'pipe', timeout: 10_000 });
    return undefined;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err);
  }
}

const cases: Array<[string, Obj, Array<4 | 6>]> = [
  ['both families, defaults', withBgp({}), [4, 6]],
  ['IPv4 only, peer with no VIPs of its family', withBgp({ vips: ['198.18.0.100'] }), [4]],
  ['IPv6 only', withBgp({ peers: [peer({ name: 'v6', address: '2001:2::fe' })], vips: ['2001:2::100'] }), [6]],
  ['source address and password', withBgp({ peers: [peer({ source_address: '198.18.0.1', password: 'se cret!#$%' }), peer({ name: 'r1v6', address: '2001:2::fe', source_address: '2001:2::1' })] }), [4, 6]],
  ['BFD off for every peer', withBgp({ peers: [peer({ bfd: false }), peer({ name: 'r1v6', address: '2001:2::fe', bfd: false })] }), [4, 6]],
  ['shortest BFD timers', withBgp({ bfd: { interval: '10ms', multiplier: 1 } }), [4, 6]],
  ['longest BFD timers', withBgp({ bfd: { interval: '10s', multiplier: 255 } }), [4, 6]],
  ['MED and communities (standard and large)', withBgp({ med: 4294967295, communities: ['65000:100', '0:0', '65535:65535', '4294967294:1:4294967295'] }), [4, 6]],
  ['MED 0 (primary site)', withBgp({ med: 0 }), [4, 6]],
  ['4-octet AS numbers, table above 255', withBgp({ local_as: 4200000001, table: 4294967295, peers: [peer({ as: 4294967294 }), peer({ name: 'r1v6', address: '2001:2::fe', as: 131072 })] }), [4, 6]],
  ['shortest and longest hold time', withBgp({ hold_time: '3s' }), [4, 6]],
  ['longest hold time', withBgp({ hold_time: '18h12m15s' }), [4, 6]],
  ['shortest and longest error wait', withBgp({ error_wait: { min: '1s', max: '18h12m15s' } }), [4, 6]],
  ['error wait with min and max the same', withBgp({ error_wait: { min: '5s', max: '5s' } }), [4, 6]],
  ['peer names BIRD symbols cannot spell bare, or that name the fragment\'s own symbols', withBgp({ peers: [peer({ name: 'edge-1.dc2' }), peer({ name: 'v6', address: '2001:2::fe' }), peer({ name: 'export', address: '198.18.0.253' })] }), [4, 6]],
  ['iBGP peer', withBgp({ peers: [peer({ as: 65001 }), peer({ name: 'r1v6', address: '2001:2::fe' })] }), [4, 6]],
  ['no VIPs at all', withBgp({}, []), []],
];

describeWith(['bird'], 'BIRD config generator (bird -p)', () => {
  it.each(cases)('%s: bird -p accepts it', (name, config, families) => {
    const text = birdConfig(loaded(config), { families, source: '/etc/lvsd/lvsd.yaml' });
    expect(birdRefuses(text, name.replace(/\W+/g, '-'))).toBeUndefined();
  });

  it('says what it exports and to whom, with the configured values', () => {
    const text = birdConfig(loaded(withBgp({ error_wait: { min: '2s' }, med: 50, communities: ['65000:100', '65001:1:2'], peers: [peer({ password: 'pw' }), peer({ name: 'r1v6', address: '2001:2::fe', bfd: false })] })), { families: [4, 6] });
    expect(text).toContain('router id 198.18.0.1;');
    expect(text).toContain('  kernel table 100;\n  learn;');
    expect(text).toContain('import where krt_source = 250;');
    expect(text).toContain('  bgp_med = 50;\n  bgp_community.add((65000,100));\n  bgp_large_community.add((65001,1,2));\n  accept;');
    expect(text).toContain("protocol bgp 'lvsd_peer_r1' {\n  local as 65001;\n  neighbor 198.18.0.254 as 65000;\n  hold time 30;\n  error wait time 2, 300;\n  graceful restart off;\n  bfd on;\n  password \"pw\";\n  ipv4 {\n    table lvsd_vips4;\n    import none;\n    export filter lvsd_export;");
    expect(text).toContain("protocol bgp 'lvsd_peer_r1v6' {\n  local as 65001;\n  neighbor 2001:2::fe as 65000;\n  hold time 30;\n  error wait time 2, 300;\n  graceful restart off;\n  ipv6 {");
    expect(text).toContain('    min rx interval 100 ms;\n    min tx interval 100 ms;\n    multiplier 3;');
  });

  it('bird -p does refuse a broken fragment (the check has teeth)', () => {
    const text = birdConfig(loaded(withBgp({})), { families: [4, 6] }).replace('learn;', 'learn everything;');
    expect(birdRefuses(text, 'broken')).toMatch(/syntax error/);
  });
});
