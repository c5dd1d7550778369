// lvsd's own CPU cost of a bulk apply, without a kernel: IpvsClient over a fake socket that
// acknowledges every message the way the kernel does (one ACK per request, each its own
// datagram, delivered on a later turn of the event loop). What is left is encoding, framing,
// sequence matching and promise plumbing, the part the lab VM's TCG slows most. Runs anywhere;
// `node --cpu-prof test/bench/ipvs-encode.mjs` shows where the time goes.
//   node test/bench/ipvs-encode.mjs [services=10000] [destinations-per-service=4] [rounds=3]
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const dist = new URL('../../dist/', import.meta.url);
if (!existsSync(new URL('ipvs/client.js', dist))) {
  console.error('ipvs-encode: dist/ipvs/client.js missing; run `npm run build` first');
  process.exit(2);
}
const { IpvsClient } = await import(new URL('ipvs/client.js', dist).href);
const { planChanges } = await import(new URL('ipvs/plan.js', dist).href);
const { applyPlan } = await import(new URL('ipvs/apply.js', dist).href);
const { genlFrame } = await import(new URL('kernel/genl.js', dist).href);
const { str, u16, u32 } = await import(new URL('kernel/attrs.js', dist).href);

const services = Number(process.argv[2] ?? 10000);
const perService = Number(process.argv[3] ?? 4);
const rounds = Number(process.argv[4] ?? 3);
if (!(services > 0 && services <= 65536 && perService > 0 && perService <= 250 && rounds > 0 && rounds <= 20)) {
  console.error('ipvs-encode: services 1..65536, destinations per service 1..250, rounds 1..20');
  process.exit(2);
}

const PORT = 4242;
const IPVS_FAMILY_ID = 0x20;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
const CTRL_ATTR_VERSION = 3;
const CTRL_ATTR_MAXATTR = 5;

/** Answers nlctrl with an IPVS family, dumps with DONE, everything else with a zero ACK. */
class AckingKernel extends EventEmitter {
  received = 0;
  send(msgs, _options, callback) {
    const replies = [];
    for (const m of msgs) {
      const b = Buffer.from(m.buffer, m.byteOffset, m.byteLength);
      for (let off = 0; off + 16 <= b.length; ) {
        const len = b.readUInt32LE(off);
        const type = b.readUInt16LE(off + 4);
        const flags = b.readUInt16LE(off + 6);
        const seq = b.readUInt32LE(off + 8);
        this.received++;
        if (type === 0x10) {
          const attrs = [u16(CTRL_ATTR_FAMILY_ID, IPVS_FAMILY_ID), str(CTRL_ATTR_FAMILY_NAME, 'IPVS'), u32(CTRL_ATTR_VERSION, 1), u32(CTRL_ATTR_MAXATTR, 9)];
          replies.push(genlFrame(0x10, 0x2, seq, PORT, 1, 1, attrs));
        }
        replies.push(this.tail((flags & 0x300) === 0x300 ? 3 : 2, seq));
        off += (len + 3) & ~3;
      }
    }
    callback();
    // The kernel queues one skb per ACK; the socket delivers them one recvmsg at a time.
    setImmediate(() => {
      for (const r of replies) this.emit('message', r);
    });
  }
  tail(type, seq) {
    const t = Buffer.alloc(type === 3 ? 20 : 36);
    t.writeUInt32LE(t.length, 0);
    t.writeUInt16LE(type, 4);
    t.writeUInt32LE(seq, 8);
    return t;
  }
  address() {
    return { port: PORT };
  }
  ref() {}
  unref() {}
  close() {}
}

const vip = (i) => `198.18.${4 + (i >> 8)}.${i & 0xff}`;
const real = (n) => `198.19.${n >> 8}.${(n & 0xff) || 1}`;
const desired = { services: [] };
for (let i = 0; i < services; i++) {
  const destinations = [];
  for (let d = 1; d <= perService; d++) destinations.push({ address: real(d), port: 80, forwarding: 'dr', weight: d, upperThreshold: 0, lowerThreshold: 0 });
  desired.services.push({ service: { protocol: 'tcp', address: vip(i), port: 80, scheduler: 'wrr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 }, destinations });
}
const plan = planChanges(desired, { services: [] }, { purgeUnmanaged: false });

const times = [];
for (let r = 0; r < rounds; r++) {
  const kernel = new AckingKernel();
  const client = await IpvsClient.open({ socket: kernel });
  const t0 = performance.now();
  const result = await applyPlan(client, plan);
  times.push(performance.now() - t0);
  client.close();
  if (result.failed.length > 0) throw new Error(`${result.failed.length} failed: ${result.failed[0].error.message}`);
  if (kernel.received !== plan.operations.length + 1) throw new Error(`fake kernel got ${kernel.received} messages, want ${plan.operations.length + 1}`);
}
console.log(JSON.stringify({ services, destinationsPerService: perService, operations: plan.operations.length, applyMs: times.map(Math.round), bestMs: Math.round(Math.min(...times)) }));
