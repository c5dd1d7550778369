// DNS message codec for the DNS check (RFC 1035 section 4; AAAA per RFC 3596, SRV per
// RFC 2782): encodes a single-question query, decodes a response into header, questions and
// answers with record data in presentation form. Only what a health check needs.
import type { DnsQueryType } from '../types.js';
import { formatIp } from '../../net/address.js';

export const dnsTypeCodes: Record<DnsQueryType, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
};

const rcodeNames = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

export function rcodeName(rcode: number): string {
  return rcodeNames[rcode] ?? `RCODE${rcode}`;
}

export class DnsDecodeError extends Error {
  override readonly name = 'DnsDecodeError';
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Presentation form: "198.18.2.53", "10 mx.example", "\"text\"" joined by spaces; hex for unknown types. */
  data: string;
}

export interface DnsMessage {
  id: number;
  /** QR bit: true for responses. */
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
}

const classIN = 1;
/** Header flags of a standard query with RD set. */
const flagsQueryRd = 0x0100;

/** A standard query (RD set) for `name`/`type`, class IN, no EDNS. */
export function encodeQuery(id: number, name: string, type: DnsQueryType): Buffer {
  const qname = encodeName(name);
  const buf = Buffer.alloc(12 + qname.length + 4);
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(flagsQueryRd, 2);
  buf.writeUInt16BE(1, 4);
  qname.copy(buf, 12);
  buf.writeUInt16BE(dnsTypeCodes[type], 12 + qname.length);
  buf.writeUInt16BE(classIN, 14 + qname.length);
  return buf;
}

function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const parts: Buffer[] = [];
  for (const label of trimmed === '' ? [] : trimmed.split('.')) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length === 0 || bytes.length > 63) throw new RangeError(`DNS name ${name}: label "${label}" must be 1-63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new RangeError(`DNS name ${name} is longer than 255 bytes`);
  return out;
}

export function decodeMessage(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new DnsDecodeError(`DNS message of ${buf.length} bytes is shorter than its header`);
  const flags = buf.readUInt16BE(2);
  const qdcount = buf.readUInt16BE(4);
  const ancount = buf.readUInt16BE(6);
  const r = new Reader(buf, 12);
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qdcount; i++) questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  const answers: DnsRecord[] = [];
  for (let i = 0; i < ancount; i++) {
    const name = r.name();
    const type = r.u16();
    const klass = r.u16();
    const ttl = r.u32();
    const rdlength = r.u16();
    const end = r.offset + rdlength;
    if (end > buf.length) throw new DnsDecodeError('DNS record data runs past the end of the message');
    answers.push({ name, type, class: klass, ttl, data: renderData(buf, type, r.offset, end) });
    r.offset = end;
  }
  return {
    id: buf.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions,
    answers,
  };
}

function renderData(buf: Buffer, type: number, start: number, end: number): string {
  const r = new Reader(buf, start);
  switch (type) {
    case dnsTypeCodes.A:
      if (end - start !== 4) break;
      return formatIp(buf.subarray(start, end));
    case dnsTypeCodes.AAAA:
      if (end - start !== 16) break;
      return formatIp(buf.subarray(start, end));
    case dnsTypeCodes.CNAME:
    case dnsTypeCodes.NS:
    case dnsTypeCodes.PTR:
      return r.name();
    case dnsTypeCodes.MX:
      return `${r.u16()} ${r.name()}`;
    case dnsTypeCodes.SRV:
      return `${r.u16()} ${r.u16()} ${r.u16()} ${r.name()}`;
    case dnsTypeCodes.SOA:
      return [r.name(), r.name(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32()].join(' ');
    case dnsTypeCodes.TXT: {
      const strings: string[] = [];
      while (r.offset < end) {
        const len = r.u8();
        strings.push(JSON.stringify(buf.subarray(r.offset, r.offset + len).toString('latin1')));
        r.offset += len;
      }
      return strings.join(' ');
    }
  }
  return buf.subarray(start, end).toString('hex');
}

/** Bounds-checked big-endian reader with RFC 1035 4.1.4 name decompression. */
class Reader {
  constructor(
    private readonly buf: Buffer,
    public offset: number,
  ) {}

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new DnsDecodeError('DNS message truncated');
  }

  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.offset++);
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** A domain name without the trailing dot ("" for the root). */
  name(): string {
    const labels: string[] = [];
    let pos = this.offset;
    let jumped = false;
    for (let hops = 0; ; hops++) {
      if (hops > 127) throw new DnsDecodeError('DNS name compression loop');
      if (pos >= this.buf.length) throw new DnsDecodeError('DNS name runs past the end of the message');
      const len = this.buf[pos] as number;
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new DnsDecodeError('DNS name pointer truncated');
        const target = ((len & 0x3f) << 8) | (this.buf[pos + 1] as number);
        if (!jumped) this.offset = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new DnsDecodeError(`DNS label type 0x${len.toString(16)} not supported`);
      if (len === 0) {
        if (!jumped) this.offset = pos + 1;
        return labels.join('.');
      }
      if (pos + 1 + len > this.buf.length) throw new DnsDecodeError('DNS label runs past the end of the message');
      labels.push(this.buf.subarray(pos + 1, pos + 1 + len).toString('latin1'));
      pos += 1 + len;
    }
  }
}
