// A third host on the LAN that forges VRRP adverts: whole Ethernet frames (IPv4 or IPv6 header
// written here, so TTL / hop limit, source and destination are whatever the attacker wants) sent
// over AF_PACKET with the addon's sendFrame. Run it inside the attacker's namespace
// (`ip netns exec`); it uses the compiled codec in dist/.
//   argv: <spec.json>
//   spec: { ifname, rate (frames/s), seconds, frames: [Frame...], random?: fraction of random frames,
//           randomPool?: { vrid, maxPriority, dstMac, unicastDst } }
//   Frame: { family: 4|6, dstMac, src, dst, ttl, vrid, priority, intervalCs, addresses, checksum? }
//   stdout (one JSON line at the end): { sent, errors (sendmsg refused, e.g. ENOBUFS), seconds, cpuMs }
// Frames are sent round-robin, paced to `rate` (in steps of `rate / 100`). Random frames (for the soak) are
// adverts that must never win: priorities below maxPriority with any TTL, or TTL / destination
// forgeries of priority 255, or random bytes behind a valid IP header.
import { readFileSync } from 'node:fs';
import { encodeAdvert } from '../../../dist/vrrp/packet.js';
import { ipToBytes } from '../../../dist/net/address.js';
import { native } from '../../../dist/kernel/native.js';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const addon = native();
const ownMac = addon.hardwareAddress(spec.ifname);

function macBytes(mac) {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

/** The Internet checksum (RFC 1071) of an IPv4 header. */
function headerChecksum(header) {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** One Ethernet frame carrying `payload` as IP protocol 112 from `src` to `dst` with `ttl`. */
function ipFrame(family, dstMac, src, dst, ttl, payload) {
  const eth = Buffer.alloc(14);
  macBytes(dstMac).copy(eth, 0);
  ownMac.copy(eth, 6);
  if (family === 4) {
    eth.writeUInt16BE(0x0800, 12);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + payload.length, 2);
    ip[8] = ttl;
    ip[9] = 112;
    Buffer.from(ipToBytes(src)).copy(ip, 12);
    Buffer.from(ipToBytes(dst)).copy(ip, 16);
    ip.writeUInt16BE(headerChecksum(ip), 10);
    return Buffer.concat([eth, ip, payload]);
  }
  eth.writeUInt16BE(0x86dd, 12);
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(payload.length, 4);
  ip[6] = 112;
  ip[7] = ttl;
  Buffer.from(ipToBytes(src)).copy(ip, 8);
  Buffer.from(ipToBytes(dst)).copy(ip, 24);
  return Buffer.concat([eth, ip, payload]);
}

function advertFrame(f) {
  const payload = encodeAdvert(
    { version: 3, vrid: f.vrid, priority: f.priority, maxAdvertIntervalCs: f.intervalCs, addresses: f.addresses },
    f.checksum ?? 'pseudo-header',
    { family: f.family, src: f.src, dst: f.dst },
  );
  return ipFrame(f.family, f.dstMac, f.src, f.dst, f.ttl, payload);
}

// A deterministic generator, so a soak can be replayed.
let seed = 0x5eed;
const rand = (n) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};
const GROUP = { mac: '01:00:5e:00:00:12', ip: '224.0.0.18' };

/** A pool of random frames built up front: building them must not be what limits the rate. */
function randomFrames(pool, count) {
  const frames = [];
  for (let i = 0; i < count; i++) {
    // Sources from the documentation range 198.18.0.0/15 only.
    const src = `198.18.${128 + rand(120)}.${1 + rand(250)}`;
    const toGroup = rand(2) === 0;
    const [dstMac, dst] = toGroup ? [GROUP.mac, GROUP.ip] : [pool.dstMac, pool.unicastDst];
    const kind = rand(3);
    if (kind === 0) {
      // Below the master's priority: must be answered (rate-limited), never obeyed.
      const f = { family: 4, dstMac, src, dst, ttl: 1 + rand(255), vrid: pool.vrid, priority: 1 + rand(pool.maxPriority - 1), intervalCs: 1 + rand(4095), addresses: pool.addresses, checksum: rand(2) ? 'plain' : 'pseudo-header' };
      frames.push(advertFrame(f));
    } else if (kind === 1) {
      // Priority 255 with a forged TTL (or to the wrong address with TTL 255).
      const ttl = toGroup ? rand(255) : 1 + rand(255);
      frames.push(advertFrame({ family: 4, dstMac, src, dst, ttl, vrid: pool.vrid, priority: 255, intervalCs: 4095, addresses: pool.addresses }));
    } else {
      const junk = Buffer.alloc(4 + rand(60));
      for (let j = 0; j < junk.length; j++) junk[j] = rand(256);
      // Half of them claim VRRPv3 and the target VRID, so they reach the decoder's later checks.
      if (rand(2) === 0 && junk.length > 2) {
        junk[0] = 0x31;
        junk[1] = pool.vrid;
      }
      frames.push(ipFrame(4, dstMac, src, dst, rand(256), junk));
    }
  }
  return frames;
}

const fixed = (spec.frames ?? []).map(advertFrame);
const random = spec.random ? randomFrames(spec.randomPool, 4096) : [];
const perTick = Math.max(1, Math.round(spec.rate / 100));
let sent = 0;
let errors = 0;
let next = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const end = t0 + spec.seconds * 1000;

function pick() {
  if (random.length > 0 && (fixed.length === 0 || rand(1000) < spec.random * 1000)) return random[rand(random.length)];
  return fixed[next++ % fixed.length];
}

await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    if (now >= end) {
      resolve();
      return;
    }
    // Catch up on ticks the loop was late for, so the average rate holds; when behind, go on
    // at once instead of waiting for the next tick.
    const behind = Math.round(((now - t0) / 1000) * spec.rate) - sent - errors;
    const due = Math.min(perTick, behind);
    for (let i = 0; i < due; i++) {
      try {
        addon.sendFrame(spec.ifname, pick());
        sent++;
      } catch {
        errors++;
      }
    }
    if (behind > due) setImmediate(tick);
    else setTimeout(tick, 5);
  };
  tick();
});
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ sent, errors, seconds: (performance.now() - t0) / 1000, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
