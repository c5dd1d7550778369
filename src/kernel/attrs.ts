// Netlink attributes (struct nlattr, include/uapi/linux/netlink.h): a 4-byte header (u16 length
// including the header, u16 type) followed by the payload, padded to 4 bytes. Integers are in host
// byte order (little-endian on every platform lvsd runs on) unless the kernel says "be16"/"be32".
// netlink@0.3.0's object parser drops attributes it has no schema for, so lvsd encodes and
// decodes attributes itself with these helpers.

/** NLA_F_NESTED: set on attributes whose payload is itself a list of attributes. */
export const NLA_F_NESTED = 0x8000;
/** NLA_F_NET_BYTEORDER: payload is in network byte order. */
export const NLA_F_NET_BYTEORDER = 0x4000;
const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;
const NLA_HDRLEN = 4;

/** Rounds up to the 4-byte alignment every netlink header and attribute uses (NLA_ALIGN). */
export const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Encodes a run of attributes, nests included, into one buffer. A bulk apply sends tens of
 * thousands of messages of a dozen attributes each; one allocation per message instead of one
 * per attribute is most of the garbage (and so most of the GC time) that path used to make.
 */
export class AttrWriter {
  private buf: Buffer;
  private len = 0;

  /** `capacity` is a first guess; the buffer grows when a message needs more. */
  constructor(capacity = 128) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Writes the header of an attribute with `payloadLength` bytes and zeroes its padding; returns the payload's offset. */
  private header(type: number, payloadLength: number): number {
    const at = this.len;
    const len = NLA_HDRLEN + payloadLength;
    const end = at + align4(len);
    if (end > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(end, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, at);
      this.buf = bigger;
    }
    this.buf.writeUInt16LE(len, at);
    this.buf.writeUInt16LE(type, at + 2);
    this.buf.fill(0, at + len, end);
    this.len = end;
    return at + NLA_HDRLEN;
  }

  /** `payload` zero-padded to `size` bytes (e.g. an IPv4 address in a 16-byte nf_inet_addr). */
  bytes(type: number, payload: Uint8Array, size = payload.length): this {
    const at = this.header(type, size);
    this.buf.set(payload, at);
    this.buf.fill(0, at + payload.length, at + size);
    return this;
  }

  u8(type: number, v: number): this {
    this.buf.writeUInt8(v & 0xff, this.header(type, 1));
    return this;
  }

  u16(type: number, v: number): this {
    this.buf.writeUInt16LE(v, this.header(type, 2));
    return this;
  }

  u32(type: number, v: number): this {
    this.buf.writeUInt32LE(v >>> 0, this.header(type, 4));
    return this;
  }

  u64(type: number, v: bigint): this {
    this.buf.writeBigUInt64LE(v, this.header(type, 8));
    return this;
  }

  /** A 16-bit value in network byte order (ports). */
  be16(type: number, v: number): this {
    this.buf.writeUInt16BE(v, this.header(type, 2));
    return this;
  }

  /** A 32-bit value in network byte order (IPv4 netmasks). */
  be32(type: number, v: number): this {
    this.buf.writeUInt32BE(v >>> 0, this.header(type, 4));
    return this;
  }

  /** A NUL-terminated string (NLA_NUL_STRING / NLA_STRING). */
  str(type: number, v: string): this {
    const bytes = Buffer.byteLength(v, 'utf8');
    const at = this.header(type, bytes + 1);
    this.buf.write(v, at, 'utf8');
    this.buf.writeUInt8(0, at + bytes);
    return this;
  }

  /** A nested attribute whose children `body` writes into this writer. */
  nested(type: number, body: (w: this) => void): this {
    const at = this.len;
    this.header(type | NLA_F_NESTED, 0);
    body(this);
    this.buf.writeUInt16LE(this.len - at, at);
    return this;
  }

  /** The attributes written so far. */
  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** One encoded attribute: header, payload and padding. */
export function attr(type: number, payload: Uint8Array): Buffer {
  return new AttrWriter(align4(NLA_HDRLEN + payload.length)).bytes(type, payload).finish();
}

/** A nested attribute holding `children` (already encoded attributes). */
export function nested(type: number, children: readonly Buffer[]): Buffer {
  return attr(type | NLA_F_NESTED, Buffer.concat(children));
}

export const u8 = (type: number, v: number): Buffer => new AttrWriter(8).u8(type, v).finish();
export const u16 = (type: number, v: number): Buffer => new AttrWriter(8).u16(type, v).finish();
export const u32 = (type: number, v: number): Buffer => new AttrWriter(8).u32(type, v).finish();
export const u64 = (type: number, v: bigint): Buffer => new AttrWriter(12).u64(type, v).finish();
/** A 16-bit value in network byte order (ports). */
export const be16 = (type: number, v: number): Buffer => new AttrWriter(8).be16(type, v).finish();
/** A 32-bit value in network byte order (IPv4 netmasks). */
export const be32 = (type: number, v: number): Buffer => new AttrWriter(8).be32(type, v).finish();
/** A NUL-terminated string (NLA_NUL_STRING / NLA_STRING). */
export const str = (type: number, v: string): Buffer => new AttrWriter(align4(NLA_HDRLEN + Buffer.byteLength(v, 'utf8') + 1)).str(type, v).finish();

/**
 * Attributes of one level, by type (flags stripped). When a type repeats, the last one wins,
 * as in the kernel's nla_parse. Throws on a malformed buffer rather than reading past it.
 */
export type AttrMap = ReadonlyMap<number, Buffer>;

export function parseAttrs(buf: Buffer): AttrMap {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + NLA_HDRLEN <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN || off + len > buf.length) {
      throw new Error(`malformed netlink attribute at offset ${off}: length ${len}, ${buf.length - off} bytes left`);
    }
    out.set(type, buf.subarray(off + NLA_HDRLEN, off + len));
    off += align4(len);
  }
  return out;
}

/**
 * Where each attribute of one nest starts and how long it is, by type, found in one pass over the
 * receive buffer without allocating (no Map, no Buffer per attribute): a full table read decodes
 * 50,000 nests of a dozen attributes. One index is reused for nest after nest, so read what you
 * need before indexing the next one. Types above `maxType` are skipped; the last of a repeated
 * type wins, as in nla_parse.
 */
export class AttrIndex {
  private readonly at: Int32Array;
  private readonly len: Int32Array;
  buf: Buffer = Buffer.alloc(0);

  constructor(readonly maxType: number) {
    this.at = new Int32Array(maxType + 1);
    this.len = new Int32Array(maxType + 1);
  }

  /** Indexes the attributes in buf[start, end). Throws on a malformed run rather than reading past it. */
  index(buf: Buffer, start = 0, end = buf.length): this {
    this.buf = buf;
    this.at.fill(-1);
    let off = start;
    while (off + NLA_HDRLEN <= end) {
      const len = buf.readUInt16LE(off);
      const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
      if (len < NLA_HDRLEN || off + len > end) {
        throw new Error(`malformed netlink attribute at offset ${off - start}: length ${len}, ${end - off} bytes left`);
      }
      if (type <= this.maxType) {
        this.at[type] = off + NLA_HDRLEN;
        this.len[type] = len - NLA_HDRLEN;
      }
      off += align4(len);
    }
    return this;
  }

  has(type: number): boolean {
    return (this.at[type] ?? -1) >= 0;
  }

  /** Payload length of `type`; -1 when absent. */
  size(type: number): number {
    return this.has(type) ? (this.len[type] ?? -1) : -1;
  }

  /** Offset in `buf` of the payload of `type`, checked to hold `size` bytes. */
  offset(type: number, size: number, what: string): number {
    const at = this.at[type] ?? -1;
    if (at < 0) throw new Error(`netlink attribute ${what} missing`);
    const len = this.len[type] ?? 0;
    if (len < size) throw new Error(`netlink attribute ${what} is ${len} bytes, want ${size}`);
    return at;
  }

  u8(type: number, what: string): number {
    return this.buf.readUInt8(this.offset(type, 1, what));
  }

  u16(type: number, what: string): number {
    return this.buf.readUInt16LE(this.offset(type, 2, what));
  }

  u32(type: number, what: string): number {
    return this.buf.readUInt32LE(this.offset(type, 4, what));
  }

  be16(type: number, what: string): number {
    return this.buf.readUInt16BE(this.offset(type, 2, what));
  }

  be32(type: number, what: string): number {
    return this.buf.readUInt32BE(this.offset(type, 4, what));
  }

  /** A string up to its first NUL (or the end of the payload). */
  str(type: number, what: string): string {
    const at = this.offset(type, 0, what);
    const end = at + (this.len[type] ?? 0);
    const nul = this.buf.indexOf(0, at);
    return this.buf.toString('utf8', at, nul < 0 || nul > end ? end : nul);
  }
}

function need(buf: Buffer | undefined, size: number, what: string): Buffer {
  if (!buf) throw new Error(`netlink attribute ${what} missing`);
  if (buf.length < size) throw new Error(`netlink attribute ${what} is ${buf.length} bytes, want ${size}`);
  return buf;
}

/** Readers for a decoded attribute; `what` names it in the error when it is absent or short. */
export const read = {
  u8: (b: Buffer | undefined, what: string): number => need(b, 1, what).readUInt8(0),
  u16: (b: Buffer | undefined, what: string): number => need(b, 2, what).readUInt16LE(0),
  u32: (b: Buffer | undefined, what: string): number => need(b, 4, what).readUInt32LE(0),
  u64: (b: Buffer | undefined, what: string): bigint => need(b, 8, what).readBigUInt64LE(0),
  be16: (b: Buffer | undefined, what: string): number => need(b, 2, what).readUInt16BE(0),
  be32: (b: Buffer | undefined, what: string): number => need(b, 4, what).readUInt32BE(0),
  /** A string up to its first NUL (or the end of the payload). */
  str: (b: Buffer | undefined, what: string): string => {
    const buf = need(b, 0, what);
    const nul = buf.indexOf(0);
    return buf.toString('utf8', 0, nul < 0 ? buf.length : nul);
  },
};
