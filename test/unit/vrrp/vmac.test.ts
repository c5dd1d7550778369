// The virtual MAC of RFC 5798 sec. 7.3 and the macvlan an instance with use_vmac gets.
import { describe, expect, it } from 'vitest';
import { vmacName } from '../../../src/config/derived.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { VrrpInstanceConfig } from '../../../src/config/types.js';
import { instanceSpec, vipSpecs } from '../../../src/vrrp/from-config.js';
import { virtualMac } from '../../../src/vrrp/vmac.js';

function instance(extra: string, vip = '198.18.0.100/24'): VrrpInstanceConfig {
  const text = `node: { name: t }\nvrrp:\n  instances:\n    - { name: web, interface: eth0, vrid: 51, vips: [${vip}]${extra} }\n`;
  const loaded = parseConfigText(text, 't.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const inst = loaded.config.vrrp.instances[0];
  if (!inst) throw new Error('no instance');
  return inst;
}

describe('virtual MAC', () => {
  it('is 00-00-5E-00-01-{VRID} for IPv4 and 00-00-5E-00-02-{VRID} for IPv6', () => {
    expect(virtualMac(4, 1)).toBe('00:00:5e:00:01:01');
    expect(virtualMac(4, 51)).toBe('00:00:5e:00:01:33');
    expect(virtualMac(6, 255)).toBe('00:00:5e:00:02:ff');
    expect(() => virtualMac(4, 0)).toThrow(RangeError);
  });

  it('names the macvlan like keepalived unless told otherwise, and puts the VIPs without a dev on it', () => {
    expect(vmacName(instance(''))).toBeUndefined();
    expect(vmacName(instance(', use_vmac: false'))).toBeUndefined();
    expect(vmacName(instance(', use_vmac: true'))).toBe('vrrp.51');
    expect(vmacName(instance(', use_vmac: true', '"2001:2::100/64"'))).toBe('vrrp6.51');
    expect(vmacName(instance(', use_vmac: { name: web-vmac }'))).toBe('web-vmac');
    const inst = instance(', use_vmac: true', '198.18.0.100/24, { address: 198.18.0.101, dev: eth1 }');
    expect(vipSpecs(inst).map((v) => v.dev)).toEqual(['vrrp.51', 'eth1']);
    const spec = instanceSpec(inst, '198.18.0.2');
    expect(spec.ok && spec.spec.settings.vmac).toEqual({ name: 'vrrp.51', mac: '00:00:5e:00:01:33' });
  });
});
