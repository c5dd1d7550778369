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
 * A new attribute of `payloadLength` bytes with its header written and its padding zeroed; the
 * caller fills the payload at offset 4. Small buffers come from Node's shared pool
 * (allocUnsafe), which matters when a bulk apply encodes tens of thousands of attributes.
 */
function alloc(type: number, payloadLength: number): Buffer {
  const len = NLA_HDRLEN + payloadLength;
  const out = Buffer.allocUnsafe(align4(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  out.fill(0, len);
  return out;
}

/** One encoded attribute: header, payload and padding. */
export function attr(type: number, payload: Uint8Array): Buffer {
  const out = alloc(type, payload.length);
  out.set(payload, NLA_HDRLEN);
  return out;
}

/** A nested attribute holding `children` (already encoded attributes). */
export function nested(type: number, children: readonly Buffer[]): Buffer {
  let length = 0;
  for (const c of children) length += c.length;
  const out = alloc(type | NLA_F_NESTED, length);
  let off = NLA_HDRLEN;
  for (const c of children) {
    c.copy(out, off);
    off += c.length;
  }
  return out;
}

export function u8(type: number, v: number): Buffer {
  const out = alloc(type, 1);
  out.writeUInt8(v & 0xff, NLA_HDRLEN);
  return out;
}

export function u16(type: number, v: number): Buffer {
  const out = alloc(type, 2);
  out.writeUInt16LE(v, NLA_HDRLEN);
  return out;
}

export function u32(type: number, v: number): Buffer {
  const out = alloc(type, 4);
  out.writeUInt32LE(v >>> 0, NLA_HDRLEN);
  return out;
}

export function u64(type: number, v: bigint): Buffer {
  const out = alloc(type, 8);
  out.writeBigUInt64LE(v, NLA_HDRLEN);
  return out;
}

/** A 16-bit value in network byte order (ports). */
export function be16(type: number, v: number): Buffer {
  const out = alloc(type, 2);
  out.writeUInt16BE(v, NLA_HDRLEN);
  return out;
}

/** A 32-bit value in network byte order (IPv4 netmasks). */
export function be32(type: number, v: number): Buffer {
  const out = alloc(type, 4);
  out.writeUInt32BE(v >>> 0, NLA_HDRLEN);
  return out;
}

/** A NUL-terminated string (NLA_NUL_STRING / NLA_STRING). */
export function str(type: number, v: string): Buffer {
  const bytes = Buffer.byteLength(v, 'utf8');
  const out = alloc(type, bytes + 1);
  out.write(v, NLA_HDRLEN, 'utf8');
  out.writeUInt8(0, NLA_HDRLEN + bytes);
  return out;
}

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
