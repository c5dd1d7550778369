// ICMP echo request and reply as the ping check sends and reads them: RFC 792 (IPv4, types 8
// and 0) and RFC 4443 section 4 (ICMPv6, types 128 and 129). Both share the layout
//   type (1) | code (1) | checksum (2) | identifier (2) | sequence number (2) | data
// The IPv4 checksum is the Internet checksum of the message (RFC 1071); the ICMPv6 one covers a
// pseudo-header the kernel knows best, so it fills and verifies it (RFC 3542 3.1) and we send 0.
// Decoding never throws: a message that is not a well-formed echo reply is described, and the
// caller counts it and drops it.

export const ECHO_HEADER_BYTES = 8;
import type { IpFamily } from '../../net/address.js';

const ECHO_REQUEST = { 4: 8, 6: 128 } as const;
const ECHO_REPLY = { 4: 0, 6: 129 } as const;

export interface EchoMessage {
  identifier: number;
  sequence: number;
  data: Buffer;
}

export function encodeEchoRequest(family: IpFamily, echo: EchoMessage): Buffer {
  const msg = Buffer.alloc(ECHO_HEADER_BYTES + echo.data.length);
  msg[0] = ECHO_REQUEST[family];
  msg.writeUInt16BE(echo.identifier, 4);
  msg.writeUInt16BE(echo.sequence, 6);
  echo.data.copy(msg, ECHO_HEADER_BYTES);
  if (family === 4) msg.writeUInt16BE(internetChecksum(msg), 2);
  return msg;
}

/** The echo reply in `msg`, or why it is not one. */
export function decodeEchoReply(family: IpFamily, msg: Buffer): EchoMessage | { malformed: string } {
  if (msg.length < ECHO_HEADER_BYTES) return { malformed: `${msg.length} bytes, shorter than an echo header` };
  if (msg[0] !== ECHO_REPLY[family] || msg[1] !== 0) return { malformed: `type ${String(msg[0])} code ${String(msg[1])} is not an echo reply` };
  if (family === 4 && internetChecksum(msg) !== 0) return { malformed: 'bad checksum' };
  return { identifier: msg.readUInt16BE(4), sequence: msg.readUInt16BE(6), data: msg.subarray(ECHO_HEADER_BYTES) };
}

/** RFC 1071: ones' complement of the ones' complement sum of 16-bit words; 0 over a message that carries it. */
export function internetChecksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length % 2 === 1) sum += (buf[buf.length - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
