import { describe, expect, it } from 'vitest';
import type { ReceivedAdvert } from '../../../src/vrrp/instance.js';
import { isMulticast, VrrpReceiver } from '../../../src/vrrp/receiver.js';
import type { DropReason } from '../../../src/vrrp/drop-reasons.js';
import { golden } from './golden.js';

function sink() {
  const got: ReceivedAdvert[] = [];
  const drops: DropReason[] = [];
  return { got, drops, receive: (a: ReceivedAdvert) => void got.push(a), countDrop: (r: DropReason) => void drops.push(r) };
}

const v3 = golden('v3-ipv4');
const info = { family: 4 as const, src: v3.src, dst: v3.dst, ttl: 255, ifindex: 2 };

describe('VrrpReceiver', () => {
  it('dispatches a good advert by VRID with its checksum variant', () => {
    const r = new VrrpReceiver(4);
    const s = sink();
    r.register(52, s);
    r.onPacket(v3.payload, info);
    expect(s.got).toMatchObject([{ src: '198.18.0.1', dst: '224.0.0.18', checksum: 'pseudo-header', advert: { vrid: 52, priority: 200 } }]);
  });

  it('drops multicast adverts whose TTL is not 255, on the instance the VRID names', () => {
    const r = new VrrpReceiver(4);
    const s = sink();
    r.register(52, s);
    r.onPacket(v3.payload, { ...info, ttl: 254 });
    r.onPacket(v3.payload, { ...info, ttl: -1 });
    expect(s.drops).toEqual(['bad-ttl', 'bad-ttl']);
    expect(s.got).toEqual([]);
  });

  it('hands a unicast advert to its instance with the TTL, which alone knows whether routed peers are allowed', () => {
    const g = golden('v3-ipv4-unicast');
    const r = new VrrpReceiver(4);
    const s = sink();
    r.register(54, s);
    r.onPacket(g.payload, { family: 4, src: g.src, dst: g.dst, ttl: 64, ifindex: 2 });
    expect(s.got).toMatchObject([{ ttl: 64, dst: g.dst }]);
  });

  it('drops a missing or impossible TTL whatever the destination', () => {
    const g = golden('v3-ipv4-unicast');
    const r = new VrrpReceiver(4);
    const s = sink();
    r.register(54, s);
    for (const ttl of [-1, 0, 256]) r.onPacket(g.payload, { family: 4, src: g.src, dst: g.dst, ttl, ifindex: 2 });
    expect(s.drops).toEqual(['bad-ttl', 'bad-ttl', 'bad-ttl']);
  });

  it('counts unknown VRIDs and undecodable packets on the receiver when no instance is named', () => {
    const r = new VrrpReceiver(4);
    r.onPacket(v3.payload, info);
    r.onPacket(Buffer.alloc(1), info);
    expect(r.drops['unknown-vrid']).toBe(1);
    expect(r.drops['too-short']).toBe(1);
    expect(r.packets).toBe(2);
  });

  it('refuses two instances with one VRID', () => {
    const r = new VrrpReceiver(4);
    r.register(1, sink());
    expect(() => r.register(1, sink())).toThrow(/VRID 1/);
  });

  it('knows multicast addresses', () => {
    expect([isMulticast('224.0.0.18'), isMulticast('239.1.1.1'), isMulticast('198.18.0.1'), isMulticast('ff02::12'), isMulticast('fe80::1')]).toEqual([
      true, true, false, true, false,
    ]);
  });
});
