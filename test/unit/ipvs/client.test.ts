import { describe, expect, it } from 'vitest';
import { u16, u32 } from '../../../src/kernel/attrs.js';
import { request } from '../../../src/ipvs/codec.js';
import { IpvsClient } from '../../../src/ipvs/client.js';
import { NetlinkSocketError } from '../../../src/kernel/errors.js';
import { GenlDumpReplies, type GenlDumper } from '../../../src/kernel/genl-dump.js';
import { genlFrame } from '../../../src/kernel/genl.js';
import { Cmd } from '../../../src/ipvs/constants.js';
import type { Service } from '../../../src/ipvs/types.js';
import { FakeKernel } from '../kernel/fake-kernel.js';
import { dumped } from './golden.js';

const IPVS_FAMILY = 0x1c;
const tick = () => new Promise((r) => setImmediate(r));
/** A reply's promise chain ends in a new request, which goes out on the tick after. */
const ticks = async () => {
  await tick();
  await tick();
};

/** Opens a client on a fake kernel that knows the IPVS family. */
async function openClient(dumps?: FakeDumper): Promise<{ kernel: FakeKernel; client: IpvsClient }> {
  const kernel = new FakeKernel();
  const opening = IpvsClient.open({ socket: kernel, openDumper: dumps ? () => dumps.open() : undefined });
  await tick();
  const q = kernel.unanswered[0];
  if (!q) throw new Error('no family request');
  kernel.reply(q, [[u16(1, IPVS_FAMILY), u32(3, 1), u32(5, 6)]], { errno: 0 });
  return { kernel, client: await opening };
}

/** A GET_SERVICE reply message for `s` on `port`, as the kernel frames it (nlmsghdr, genl header, the SERVICE nest). */
function svcMsg(s: Service, port: number): Buffer {
  return genlFrame(IPVS_FAMILY, 0x2, 1, 0, Cmd.NEW_SERVICE, 1, request.setService({ ...s, port }));
}

/** A GET_DEST reply message: the real server ipvsadm was sent in the golden capture. */
const destMsg = (): Buffer => genlFrame(IPVS_FAMILY, 0x2, 1, 0, Cmd.NEW_DEST, 1, [Buffer.from(dumped.destTcpMasq, 'hex').subarray(4)]);

/** One dump list the client asked for; the test answers it (messages and errnos per request) or fails it. */
interface DumpCall {
  cmd: number;
  requests: readonly Buffer[];
  answer(messages: Buffer[][], errnos?: number[]): void;
  fail(err: Error): void;
}

/** Stands in for the addon's dump sockets (genl-dump.ts): records each list and counts sockets. */
class FakeDumper {
  readonly pending: DumpCall[] = [];
  opened = 0;
  closed = 0;

  open(): GenlDumper {
    this.opened++;
    return {
      dump: (_family, cmd, _version, requests) =>
        new Promise<GenlDumpReplies>((resolve, reject) => {
          this.pending.push({
            cmd,
            requests,
            fail: reject,
            answer: (messages, errnos = messages.map(() => 0)) => {
              let at = 0;
              const ends = Uint32Array.from(messages, (m) => (at += m.reduce((n, b) => n + b.length, 0)));
              resolve(new GenlDumpReplies({ messages: Buffer.concat(messages.flat()), ends, errnos: Int32Array.from(errnos) }));
            },
          });
        }),
      close: () => void this.closed++,
    };
  }
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
    const dumps = new FakeDumper();
    const { kernel, client } = await openClient(dumps);
    let readDone = false;
    const reading = client.read().then((t) => ((readDone = true), t));
    await ticks();
    const list = dumps.pending.shift();
    if (!list || list.cmd !== Cmd.GET_SERVICE) throw new Error('no service dump');
    list.answer([[svcMsg(web, 80), svcMsg(web, 81)]]);
    await ticks();
    const dests = dumps.pending.shift();
    if (!dests || dests.cmd !== Cmd.GET_DEST) throw new Error('no destination dumps');
    expect(dests.requests).toHaveLength(2);
    const write = client.updateDestination(web, { address: '198.18.1.11', port: 80, forwarding: 'dr', weight: 7, upperThreshold: 0, lowerThreshold: 0 });
    await ticks();
    const set = kernel.unanswered.find((r) => r.cmd === Cmd.SET_DEST);
    if (!set) throw new Error('the weight change waited behind the read');
    kernel.reply(set, [], { errno: 0 });
    await write;
    expect(readDone).toBe(false);
    dests.answer([[destMsg()], [destMsg(), destMsg()]]);
    const table = await reading;
    expect(table.services.map((r) => [r.service, r.destinations.length])).toMatchObject([[{ port: 80 }, 1], [{ port: 81 }, 2]]);
    expect(table.services[0]?.destinations[0]).toMatchObject({ address: '198.18.1.11', port: 80, forwarding: 'nat', weight: 50 });
    expect(dumps.closed).toBe(1);
    client.close();
  });

  it('starts a full read over on a new dump socket when a socket error (ENOBUFS) cuts it short', async () => {
    const dumps = new FakeDumper();
    const { client } = await openClient(dumps);
    const reading = client.read();
    await ticks();
    dumps.pending.shift()?.fail(new NetlinkSocketError(Object.assign(new Error('recvmsg: No buffer space available'), { code: 'ENOBUFS' })));
    await ticks();
    const again = dumps.pending.shift();
    if (!again || again.cmd !== Cmd.GET_SERVICE) throw new Error('the read was not retried');
    again.answer([[svcMsg(web, 80)]]);
    await ticks();
    dumps.pending.shift()?.answer([[destMsg()]]);
    expect((await reading).services.map((r) => r.service)).toMatchObject([{ port: 80 }]);
    expect([dumps.opened, dumps.closed]).toEqual([2, 2]);
    client.close();
  });

  it('leaves out a service deleted during the read: ESRCH for its destinations, or an empty dump and no such service', async () => {
    const dumps = new FakeDumper();
    const { kernel, client } = await openClient(dumps);
    const reading = client.read();
    await ticks();
    dumps.pending.shift()?.answer([[80, 81, 82, 83].map((port) => svcMsg(web, port))]);
    await ticks();
    // 80 has real servers; 81 is gone (ESRCH); 82 and 83 list none: 82 still exists, 83 does not.
    dumps.pending.shift()?.answer([[destMsg()], [], [], []], [0, 3, 0, 0]);
    await ticks();
    const asked = kernel.unanswered.filter((r) => r.cmd === Cmd.GET_SERVICE);
    expect(asked).toHaveLength(2);
    const [still, gone] = asked;
    if (!still || !gone) throw new Error('two service lookups expected');
    kernel.reply(still, [[svcMsg(web, 82).subarray(20)]], { errno: 0 });
    kernel.reply(gone, [], { errno: 3 });
    expect((await reading).services.map((r) => ['port' in r.service ? r.service.port : 0, r.destinations.length])).toEqual([[80, 1], [82, 0]]);
    client.close();
  });

  it('fails a read with the errno and the service named when the kernel refuses a destination dump otherwise', async () => {
    const dumps = new FakeDumper();
    const { client } = await openClient(dumps);
    const reading = client.read();
    await ticks();
    dumps.pending.shift()?.answer([[svcMsg(web, 80)]]);
    await ticks();
    dumps.pending.shift()?.answer([[]], [22]);
    await expect(reading).rejects.toThrow(/^list real servers of tcp 198\.18\.0\.100:80: .*\(EINVAL\)$/);
    client.close();
  });
});
