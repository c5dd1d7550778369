import { describe, expect, it } from 'vitest';
import { u16, u32 } from '../../../src/netlink/attrs.js';
import { IpvsClient } from '../../../src/ipvs/client.js';
import { Cmd } from '../../../src/ipvs/constants.js';
import type { Service } from '../../../src/ipvs/types.js';
import { FakeKernel } from '../netlink/fake-kernel.js';
import { dumped } from './golden.js';

const IPVS_FAMILY = 0x1c;
const tick = () => new Promise((r) => setImmediate(r));

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
});
