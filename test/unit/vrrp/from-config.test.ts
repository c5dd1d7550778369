// The pure mapping from a loaded config to runner settings, tracking and notify hooks.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import type { VrrpInstanceConfig } from '../../../src/config/types.js';
import { advertSource, instanceSpec, type InterfaceAddress } from '../../../src/vrrp/from-config.js';

function instance(yaml: string): VrrpInstanceConfig {
  const loaded = parseConfigText(`node: { name: t }\nvrrp:\n  instances:\n${yaml}`, 'test.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const first = loaded.config.vrrp.instances[0];
  if (!first) throw new Error('no instance');
  return first;
}

const v4 = instance(`
    - name: web
      interface: eth0
      vrid: 51
      priority: 150
      advert_interval: 100ms
      preempt_delay: 2s
      vips: [198.18.0.100/24, { address: 198.18.0.101, dev: eth1, label: "eth1:vip" }]
      track:
        interfaces: [{ name: eth1, weight: -20 }]
        scripts: [{ name: up, command: [/bin/true], interval: 1s, timeout: 500ms, weight: 10, fall: 2 }]
        files: [{ path: /run/w, weight: 3 }]
      notify: { master: [/bin/notify, master] }
      garp: { repeat: 3, delay: 1s, refresh: 30s, repeat_refresh: 2 }
`);

const v6 = instance(`
    - name: web6
      interface: eth0
      vrid: 52
      vips: [2001:2::100/64]
`);

const addrs: InterfaceAddress[] = [
  { family: 4, address: '198.18.0.100', tentative: false },
  { family: 4, address: '198.18.0.2', tentative: false },
  { family: 6, address: '2001:2::2', tentative: false },
  { family: 6, address: 'fe80::1', tentative: true },
  { family: 6, address: 'fe80::2', tentative: false },
];

describe('advertSource', () => {
  it('takes the first IPv4 address that is not a VIP', () => {
    expect(advertSource(v4, addrs, new Set(['198.18.0.100']))).toBe('198.18.0.2');
  });

  it('takes a usable IPv6 link-local address for IPv6 instances', () => {
    expect(advertSource(v6, addrs, new Set())).toBe('fe80::2');
  });

  it('prefers unicast_source', () => {
    const uni = instance(`
    - name: u
      interface: eth0
      vrid: 1
      unicast_source: 198.18.0.9
      unicast_peers: [198.18.0.3]
      vips: [198.18.0.100/24]
`);
    expect(advertSource(uni, addrs, new Set())).toBe('198.18.0.9');
  });

  it('is undefined when the interface has nothing usable', () => {
    expect(advertSource(v6, addrs.filter((a) => a.address !== 'fe80::2'), new Set())).toBeUndefined();
  });
});

describe('instanceSpec', () => {
  it('maps every field in lvsd units', () => {
    const result = instanceSpec(v4, '198.18.0.2');
    if (!result.ok) throw new Error(result.problem);
    expect(result.spec.settings).toEqual({
      name: 'web',
      interface: 'eth0',
      family: 4,
      vrid: 51,
      priority: 150,
      version: 3,
      advertIntervalMs: 100,
      preempt: true,
      preemptDelayMs: 2000,
      accept: true,
      checksum: 'auto',
      primaryAddress: '198.18.0.2',
      unicastPeers: [],
      unicastMinTtl: 255,
      vips: [
        { address: '198.18.0.100', prefix: 24 },
        { address: '198.18.0.101', prefix: 32, dev: 'eth1', label: 'eth1:vip' },
      ],
      garp: { repeat: 3, delayMs: 1000, refreshMs: 30000, refreshRepeat: 2 },
    });
    expect(result.spec.notify).toEqual({ master: ['/bin/notify', 'master'] });
  });

  it('tracks the instance interface at weight 0 (FAULT when down) besides the configured items', () => {
    const result = instanceSpec(v4, '198.18.0.2');
    if (!result.ok) throw new Error(result.problem);
    expect(result.spec.track).toEqual({
      interfaces: [{ name: 'eth0', weight: 0 }, { name: 'eth1', weight: -20 }],
      scripts: [{ name: 'up', command: ['/bin/true'], intervalMs: 1000, timeoutMs: 500, weight: 10, rise: 1, fall: 2 }],
      files: [{ path: '/run/w', weight: 3 }],
    });
  });

  it('keeps an explicitly tracked instance interface as configured', () => {
    const own = instance(`
    - name: o
      interface: eth0
      vrid: 2
      vips: [198.18.0.100/24]
      track: { interfaces: [{ name: eth0, weight: -50 }] }
`);
    const result = instanceSpec(own, '198.18.0.2');
    expect(result.ok && result.spec.track.interfaces).toEqual([{ name: 'eth0', weight: -50 }]);
  });

  it('refuses an instance with no advert source, naming the fix', () => {
    const result = instanceSpec(v6, undefined);
    expect(result).toEqual({ ok: false, problem: 'vrrp instance web6: eth0 has no IPv6 link-local address to send adverts from (add one, or set unicast_source)' });
  });
});
