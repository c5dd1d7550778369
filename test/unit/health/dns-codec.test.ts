// Golden bytes: queries as lvsd encodes them and responses captured from dnsmasq 2.90
// (--address=/svc.test/198.18.2.53, --address=/gone.test/, --address=/v6.test/2001:2::53,
// --mx-host, --srv-host, --txt-record, --cname).
import { describe, expect, it } from 'vitest';
import { DnsDecodeError, decodeMessage, encodeQuery, rcodeName } from '../../../src/health/checkers/dns-codec.js';

const hex = (s: string) => Buffer.from(s, 'hex');

describe('DNS codec', () => {
  it('encodes a standard query with RD set, one question, class IN', () => {
    expect(encodeQuery(0x1234, 'www.svc.test', 'A').toString('hex')).toBe('123401000001000000000000037777770373766304746573740000010001');
    expect(encodeQuery(0x1234, 'www.svc.test.', 'AAAA').toString('hex')).toBe('1234010000010000000000000377777703737663047465737400001c0001');
  });

  it('rejects names it cannot encode', () => {
    expect(() => encodeQuery(1, 'a..b', 'A')).toThrow(/label/);
    expect(() => encodeQuery(1, `${'x'.repeat(64)}.test`, 'A')).toThrow(/1-63/);
  });

  it('decodes dnsmasq’s A answer (NOERROR, compressed owner name)', () => {
    const m = decodeMessage(hex('123485800001000100000000037777770373766304746573740000010001c00c00010001000000000004c6120235'));
    expect(m).toMatchObject({ id: 0x1234, response: true, authoritative: true, recursionDesired: true, rcode: 0, truncated: false });
    expect(m.questions).toEqual([{ name: 'www.svc.test', type: 1, class: 1 }]);
    expect(m.answers).toEqual([{ name: 'www.svc.test', type: 1, class: 1, ttl: 0, data: '198.18.2.53' }]);
  });

  it('decodes NXDOMAIN and REFUSED', () => {
    const nx = decodeMessage(hex('12348183000100000000000004676f6e6504746573740000010001'));
    expect(rcodeName(nx.rcode)).toBe('NXDOMAIN');
    expect(nx.answers).toEqual([]);
    const refused = decodeMessage(hex('1234818500010000000000000377777703737663047465737400001c0001'));
    expect(rcodeName(refused.rcode)).toBe('REFUSED');
    expect(rcodeName(15)).toBe('RCODE15');
  });

  it('renders AAAA, MX, SRV, TXT and CNAME data in presentation form', () => {
    const data = (h: string) => decodeMessage(hex(h)).answers.map((a) => a.data);
    expect(data('beef85800001000100000000027636047465737400001c0001c00c001c000100000000001020010002000000000000000000000053')).toEqual(['2001:2::53']);
    expect(data('beef85800001000100000000026d78047465737400000f0001c00c000f0001000000000011000a046d61696c03737663047465737400')).toEqual(['10 mail.svc.test']);
    expect(data('beef85800001000100000000055f68747470045f7463700373766304746573740000210001c00c002100010000000000140001000200500377777703737663047465737400')).toEqual(['1 2 80 www.svc.test']);
    expect(data('beef858000010001000000000374787404746573740000100001c00c0010000100000000000a06763d6c767364026f6b')).toEqual(['"v=lvsd" "ok"']);
    expect(data('beef8580000100010000000005616c69617304746573740000050001c00c0005000100000000000e0377777703737663047465737400')).toEqual(['www.svc.test']);
  });

  it('follows compression pointers inside record data', () => {
    // Hand-built: question "svc.test", one CNAME answer whose data is "www" + pointer to offset 12.
    const m = decodeMessage(
      hex(['000081800001000100000000', '0373766304746573740000050001', 'c00c0005000100000e10', '0006', '03777777c00c'].join('')),
    );
    expect(m.answers[0]?.data).toBe('www.svc.test');
  });

  it('rejects truncated messages and pointer loops instead of looping or reading past the end', () => {
    expect(() => decodeMessage(hex('1234'))).toThrow(DnsDecodeError);
    expect(() => decodeMessage(hex('123485800001000100000000037777770373766304746573740000010001c00c00010001000000000004c612'))).toThrow(DnsDecodeError);
    // Question name is a pointer to itself.
    expect(() => decodeMessage(hex('000081800001000000000000c00c00010001'))).toThrow(/loop/);
  });
});
