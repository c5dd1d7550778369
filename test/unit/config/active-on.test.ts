// active_on: master (services that follow VRRP mastership): the instance a service follows is
// the one it names or the one floating its vip, and a service that cannot follow one is refused
// with file:line:col.
import { describe, expect, it } from 'vitest';
import { mastershipServices } from '../../../src/config/derived.js';
import { parseConfigText } from '../../../src/config/load.js';

const vrrp = `vrrp:
  instances:
    - { name: gw, interface: eth0, vrid: 51, vips: [198.18.0.100/24] }
    - { name: gw2, interface: eth0, vrid: 52, vips: [198.18.0.101/24] }
`;
const file = (services: string): string => `node: { name: lb1 }\n${vrrp}services:\n${services}`;
const rs = 'real_servers: [{ address: 198.18.1.11 }]';

function issues(services: string): { errors: string[]; warnings: string[] } {
  const r = parseConfigText(file(services), 'lvsd.yaml');
  const fmt = (i: { file: string; line: number; col: number; message: string }) => `${i.file}:${i.line}:${i.col}: ${i.message}`;
  return { errors: r.ok ? [] : r.errors.map(fmt), warnings: r.warnings.map(fmt) };
}

describe('active_on: master', () => {
  it('follows the instance that floats the vip, or the one named; the default is active on every node', () => {
    const r = parseConfigText(
      file(`  - { name: web, vip: 198.18.0.100, port: 80, active_on: master, ${rs} }
  - { name: mark, fwmark: 7, family: ipv4, active_on: master, vrrp_instance: gw2, ${rs} }
  - { name: both, vip: 198.18.0.100, port: 443, ${rs} }
`),
      'lvsd.yaml',
    );
    expect(r.ok && r.warnings).toEqual([]);
    if (!r.ok) return;
    expect(r.config.services.map((s) => s.active_on)).toEqual(['master', 'master', 'always']);
    expect([...mastershipServices(r.config)]).toEqual([['web', 'gw'], ['mark', 'gw2']]);
  });

  it('an instance that does not exist is an error at vrrp_instance, with the closest name', () => {
    expect(issues(`  - { name: web, vip: 198.18.0.100, port: 80, active_on: master, vrrp_instance: gx, ${rs} }\n`).errors).toEqual([
      'lvsd.yaml:7:81: services[0].vrrp_instance: no VRRP instance named "gx", did you mean "gw"? (instances: gw, gw2)',
    ]);
  });

  it('a service that names no instance and has no floated vip (fwmark, or a vip configured elsewhere) is an error at active_on', () => {
    expect(issues(`  - { name: mark, fwmark: 7, family: ipv4, active_on: master, ${rs} }\n`).errors).toEqual([
      'lvsd.yaml:7:55: services[0].active_on: master means the master of a VRRP instance, but a fwmark service has no vip to find it by, expected vrrp_instance: NAME (instances: gw, gw2)',
    ]);
    expect(issues(`  - { name: web, vip: 198.18.0.200, port: 80, active_on: master, ${rs} }\n`).errors).toEqual([
      'lvsd.yaml:7:58: services[0].active_on: master means the master of a VRRP instance, but vip 198.18.0.200 is not floated by any VRRP instance, expected vrrp_instance: NAME (instances: gw, gw2)',
    ]);
  });

  it('vrrp_instance without active_on: master is an error (it would change nothing)', () => {
    expect(issues(`  - { name: web, vip: 198.18.0.100, port: 80, vrrp_instance: gw, ${rs} }\n`).errors).toEqual([
      'lvsd.yaml:7:62: services[0].vrrp_instance: vrrp_instance is used only with active_on: master, expected active_on: master or no vrrp_instance',
    ]);
  });

  it('warns when the service follows another instance than the one floating its vip', () => {
    expect(issues(`  - { name: web, vip: 198.18.0.100, port: 80, active_on: master, vrrp_instance: gw2, ${rs} }\n`).warnings).toEqual([
      'lvsd.yaml:7:81: services[0].vrrp_instance: vip 198.18.0.100 is floated by instance "gw", not "gw2": unless both are master on the same node (one sync group), the node receiving the traffic may not have the service',
    ]);
  });
});
