// What a raw IPv4 socket hands over is a whole datagram; the wrapper must find the VRRP message
// behind any IP options and refuse anything that is not a well-formed protocol-112 datagram.
import { describe, expect, it } from 'vitest';
import { stripIpv4Header } from '../../../src/kernel/vrrp-socket.js';

const vrrp = Buffer.from('3101640100016e8ec6120064', 'hex');

/** An IPv4 header for protocol 112 with `optionWords` 4-byte words of options (router alert etc.). */
function datagram(payload: Buffer, optionWords = 0, tweak?: (h: Buffer) => void): Buffer {
  const headerLength = 20 + optionWords * 4;
  const h = Buffer.alloc(headerLength);
  h[0] = 0x40 | (headerLength / 4);
  h.writeUInt16BE(headerLength + payload.length, 2);
  h[8] = 255; // TTL
  h[9] = 112; // protocol
  Buffer.from([198, 18, 0, 1]).copy(h, 12);
  Buffer.from([224, 0, 0, 18]).copy(h, 16);
  if (optionWords > 0) Buffer.from([0x94, 0x04, 0, 0]).copy(h, 20); // router alert, then padding
  tweak?.(h);
  return Buffer.concat([h, payload]);
}

describe('stripIpv4Header', () => {
  it('returns the payload after a 20-byte header', () => {
    expect(stripIpv4Header(datagram(vrrp))).toEqual(vrrp);
  });

  it('respects IHL when the header carries options', () => {
    expect(stripIpv4Header(datagram(vrrp, 1))).toEqual(vrrp);
    expect(stripIpv4Header(datagram(vrrp, 10))).toEqual(vrrp);
  });

  it('drops bytes beyond the total length (link-layer padding)', () => {
    expect(stripIpv4Header(Buffer.concat([datagram(vrrp), Buffer.alloc(6)]))).toEqual(vrrp);
  });

  it.each<[string, Buffer]>([
    ['empty', Buffer.alloc(0)],
    ['shorter than a header', datagram(vrrp).subarray(0, 19)],
    ['version 6', datagram(vrrp, 0, (h) => (h[0] = 0x65))],
    ['IHL below 5', datagram(vrrp, 0, (h) => (h[0] = 0x44))],
    ['IHL beyond the data', datagram(Buffer.alloc(0), 0, (h) => (h[0] = 0x4f))],
    ['total length beyond the data', datagram(vrrp, 0, (h) => h.writeUInt16BE(200, 2))],
    ['total length inside the header', datagram(vrrp, 0, (h) => h.writeUInt16BE(10, 2))],
    ['another protocol', datagram(vrrp, 0, (h) => (h[9] = 17))],
  ])('refuses %s', (_name, bytes) => {
    expect(stripIpv4Header(bytes)).toBeUndefined();
  });
});
