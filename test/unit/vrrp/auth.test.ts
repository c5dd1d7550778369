// VRRPv2 simple-text authentication as keepalived does it (auth_type PASS): what we send
// (keepalived's captured bytes, packet.test.ts), what we accept (the same Auth Type and all 8
// bytes of Authentication Data), and the config that asks for it.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { advertAuth, authMatches, passwordAuthData } from '../../../src/vrrp/auth.js';
import { instanceSpec } from '../../../src/vrrp/from-config.js';
import { encodeAdvert, type VrrpAdvert } from '../../../src/vrrp/packet.js';
import { golden } from './golden.js';
import { Harness, sent } from './harness.js';

describe('VRRPv2 PASS authentication', () => {
  it('pads the password with zeros to 8 bytes and sends Auth Type 1, byte for byte as keepalived', () => {
    expect(Buffer.from(passwordAuthData('pw')).toString('hex')).toBe('7077000000000000');
    const g = golden('v2-ipv4-pass');
    const advert: VrrpAdvert = { version: 2, vrid: 56, priority: 110, ...advertAuth('pw'), advertIntervalSec: 1, addresses: ['198.18.0.106'] };
    expect(encodeAdvert(advert, 'plain', { family: 4, src: g.src, dst: g.dst }).toString('hex')).toBe(g.payload.toString('hex'));
  });

  it('accepts only the same password; no password accepts only unauthenticated adverts', () => {
    expect(authMatches(advertAuth('pw'), 'pw')).toBe(true);
    expect(authMatches(advertAuth('pw'), 'pw2')).toBe(false);
    expect(authMatches(advertAuth('pw'), undefined)).toBe(false);
    expect(authMatches(advertAuth(undefined), 'pw')).toBe(false);
    expect(authMatches(advertAuth(undefined), undefined)).toBe(true);
    expect(authMatches({ authType: 2, authData: passwordAuthData('pw') }, 'pw')).toBe(false);
  });

  it('an instance with a password sends it and follows a master with the same one', () => {
    const h = new Harness({ version: 2, authPassword: 'secret1' });
    h.start();
    h.advance(4000);
    const advert = h.advance(1000).find((a) => a.type === 'send-advert');
    expect(advert?.type === 'send-advert' && advert.advert.version === 2 && advert.advert.authType).toBe(1);
    h.receive('198.18.0.9', 200, { advert: advertAuth('secret1') });
    expect(h.state).toBe('backup');
    expect(h.instance.status().master).toEqual({ address: '198.18.0.9', priority: 200 });
  });

  it('a wrong password, or none, is dropped and counted: the instance stays master', () => {
    const h = new Harness({ version: 2, authPassword: 'secret1' });
    h.start();
    h.advance(4000);
    expect(h.state).toBe('master');
    expect(sent(h.receive('198.18.0.9', 200, { advert: advertAuth('secret2') }))).toEqual([]);
    h.receive('198.18.0.9', 200, { advert: advertAuth(undefined) });
    expect(h.state).toBe('master');
    expect(h.instance.status().counters.drops['auth-mismatch']).toBe(2);
  });
});

describe('authentication in the config', () => {
  const yaml = (auth: string, version = 2) => `node: { name: lb1 }
vrrp:
  instances:
    - name: web
      interface: eth0
      vrid: 51
      version: ${version}
      vips: [198.18.0.100/24]
      authentication: ${auth}
`;

  it('type pass with a password of 1-8 characters reaches the instance settings', () => {
    const loaded = parseConfigText(yaml('{ type: pass, password: s3cret }'), 'a.yaml');
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const spec = instanceSpec(loaded.config.vrrp.instances[0] as never, '198.18.0.2');
    expect(spec.ok && spec.spec.settings.authPassword).toBe('s3cret');
  });

  it.each([
    ['{ type: ah, password: s3cret }', 2, 'a.yaml:9:31: vrrp.instances[0].authentication.type: IPsec AH authentication is not supported (RFC 3768 removed it), expected type: pass or no authentication'],
    ['{ type: pass, password: s3cret }', 3, 'a.yaml:9:23: vrrp.instances[0].authentication: VRRPv3 has no authentication (RFC 5798), expected version: 2 or no authentication'],
    ['{ type: pass, password: toolongpw }', 2, 'a.yaml:9:47: vrrp.instances[0].authentication.password: "toolongpw" is not valid, expected 1-8 printable ASCII characters (keepalived uses only the first 8)'],
  ])('refuses %s with version %d', (auth, version, message) => {
    const loaded = parseConfigText(yaml(auth, version), 'a.yaml');
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`)).toEqual([message]);
  });
});
