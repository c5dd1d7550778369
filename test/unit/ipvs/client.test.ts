import { describe, expect, it } from 'vitest';
import { u16, u32 } from '../../../src/netlink/attrs.js';
import { IpvsClient } from '../../../src/ipvs/client.js';
import { Cmd } from '../../../src/ipvs/constants.js';
import type { Service } from '../../../src/ipvs/types.js';
import { FakeKernel } from '../netlink/fake-kernel.js';
import { dumped } from './golden.js';

const IPVS_FAMILY = 0x1c;
const tick = () => new Promise((r) => setImmediate(r));
/** A reply's promise chain ends in a new request, which goes out on the tick after. */
const ticks = async () => {
  await tick();
  await tick();
};

/** Opens a client on a fake kernel that knows the IPVS family. */
async function openClient(): Promise<{ kernel: FakeKernel; client: IpvsClient }> {
  const kernel = new FakeKernel();
  const opening = IpvsClient.open({ socket: kernel });
  await tick();
  const q = kernel.unanswered[0];
  if (!q) throw new Error('no family request');
  kernel.reply(q, [[u16(1, IPVS_FAMILY), u32(3, 1), u32(5, 6)]], { errno: 0 });
  return { kernel, client: await opening };
}

const web: Service = { protocol: 'tcp', address: '198.18.0.100', port: 80, scheduler: 'wrr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 };

describe('IpvsClient', () => {
  it('says the kernel has no IPVS when the family is missing, not ENOENT', async () => {
    const kernel = new FakeKernel();
    const opening = IpvsClient.open({ socket: kernel });
    await tick();
    const q = kernel.unanswered[0];
    if (!q) throw new Error('no family request');
    kernel.reply(q, [], { errno: 2 });
    await expect(opening).rejects.toThrow(/^kernel has no IPVS \(modprobe ip_vs\?\)$/);
  });

  it('pipelines requests made without waiting into one datagram, and names the object in errors', async () => {
    const { kernel, client } = await openClient();
    const adds = [80, 81, 82].map((port) => client.addService({ ...web, port }));
    await tick();
    expect(kernel.datagrams.at(-1)?.map((m) => [m.type, m.cmd])).toEqual([[IPVS_FAMILY, Cmd.NEW_SERVICE], [IPVS_FAMILY, Cmd.NEW_SERVICE], [IPVS_FAMILY, Cmd.NEW_SERVICE]]);
    const [a, b, c] = kernel.unanswered;
    if (!a || !b || !c) throw new Error('three requests expected');
    kernel.reply(a, [], { errno: 0 });
    kernel.reply(b, [], { errno: 17 });
    kernel.reply(c, [], { errno: 2 });
    const outcomes = await Promise.allSettled(adds);
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'ok'))).toEqual([
      'ok',
      'add service tcp 198.18.0.100:81: already exists (EEXIST)',
      "add service tcp 198.18.0.100:82: scheduler 'wrr' not available in this kernel (modprobe ip_vs_wrr?) (ENOENT)",
    ]);
    client.close();
  });

  it('decodes a service dump the kernel sent to ipvsadm', async () => {
    const { kernel, client } = await openClient();
    const listing = client.services();
    await tick();
    const q = kernel.unanswered[0];
    if (!q) throw new Error('no dump request');
    expect(q.flags).toBe(0x301);
    // The captured reply without its genl header: the fake adds its own.
    kernel.reply(q, [[Buffer.from(dumped.serviceTcpRr, 'hex').subarray(4)]], 'done');
    expect(await listing).toMatchObject([{ protocol: 'tcp', address: '198.18.0.100', port: 80, scheduler: 'rr', persistence: 0 }]);
    client.close();
  });

  it('sends a weight change at once while a full read is under way, and it completes before the read ends', async () => {
    const { kernel, client } = await openClient();
    let readDone = false;
    const reading = client.read().then((t) => ((readDone = true), t));
    await ticks();
    const list = kernel.unanswered.find((r) => r.cmd === Cmd.GET_SERVICE);
    if (!list) throw new Error('no service dump');
    const svc = Buffer.from(dumped.serviceTcpRr, 'hex').subarray(4);
    kernel.reply(list, [[svc], [svc], [svc]], 'done'); // three services: three destination dumps queue up
    await ticks();
    expect(kernel.unanswered.filter((r) => r.cmd === Cmd.GET_DEST)).toHaveLength(1);
    const write = client.updateDestination(web, { address: '198.18.1.11', port: 80, forwarding: 'dr', weight: 7, upperThreshold: 0, lowerThreshold: 0 });
    await ticks();
    const set = kernel.unanswered.find((r) => r.cmd === Cmd.SET_DEST);
    if (!set) throw new Error('the weight change waited behind the destination dumps');
    kernel.reply(set, [], { errno: 0 });
    await write;
    expect(readDone).toBe(false);
    for (let i = 0; i < 3; i++) {
      const d = kernel.unanswered.find((r) => r.cmd === Cmd.GET_DEST);
      if (!d) throw new Error('destination dump expected');
      kernel.reply(d, [[Buffer.from(dumped.destTcpMasq, 'hex').subarray(4)]], 'done');
      await ticks();
    }
    expect((await reading).services).toHaveLength(3);
    client.close();
  });

  it('starts a full read over when a socket error (ENOBUFS) cuts it short', async () => {
    const { kernel, client } = await openClient();
    const reading = client.read();
    await ticks();
    const first = kernel.unanswered.find((r) => r.cmd === Cmd.GET_SERVICE);
    if (!first) throw new Error('no service dump');
    kernel.emit('error', Object.assign(new Error('recvmsg: No buffer space available'), { code: 'ENOBUFS' }));
    kernel.reply(first, [], 'done'); // the abandoned dump ends in the kernel
    await ticks();
    const again = kernel.unanswered.find((r) => r.cmd === Cmd.GET_SERVICE && r.seq !== first.seq);
    if (!again) throw new Error('the read was not retried');
    kernel.reply(again, [[Buffer.from(dumped.serviceTcpRr, 'hex').subarray(4)]], 'done');
    await ticks();
    const d = kernel.unanswered.find((r) => r.cmd === Cmd.GET_DEST);
    if (!d) throw new Error('destination dump expected');
    kernel.reply(d, [], 'done');
    expect((await reading).services.map((r) => r.service)).toMatchObject([{ port: 80 }]);
    client.close();
  });
});
