// A JS exception thrown from a packet callback is raised from libuv, where no JS caller can catch
// it; it must reach the process's normal error handling. The vitest worker intercepts uncaught
// exceptions itself, so the receiving side runs as a plain node child inside the namespace.
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VrrpSocket } from '../../src/kernel/vrrp-socket.js';
import { describeWith } from '../support/needs.js';
import { NetnsLab, type Netns } from '../support/netns.mjs';
import { inNetns } from '../../src/kernel/native.js';

const addonPath = path.resolve(import.meta.dirname, '../../build/Release/lvsd_native.node');

// The child talks to the addon directly (plain node cannot load the TypeScript wrapper); the
// wrapper adds nothing between the addon's callback and onPacket, so the path under test is the same.
const childScript = `
const addon = require(process.env.LVSD_ADDON);
let socket;
if (process.env.MODE === 'handled') {
  process.on('uncaughtException', (err) => {
    console.log('caught: ' + err.message);
    socket.close();
  });
}
socket = new addon.VrrpSocket(4, 'eth0', '198.18.7.2', true, () => {
  throw new Error('boom from onPacket');
});
console.log('ready');
`;

describeWith(['root', 'netns'], 'exceptions thrown by a packet callback', () => {
  const lab = new NetnsLab('native');
  let a: Netns;
  let b: Netns;
  let tx: VrrpSocket;

  beforeAll(() => {
    [a, b] = lab.pair(7);
    tx = inNetns(a.path, () => VrrpSocket.open({ family: 4, ifname: 'eth0', source: '198.18.7.1', multicast: true }, () => undefined));
  });

  afterAll(async () => {
    tx.close();
    await lab.cleanup();
  });

  const runChild = async (mode: 'handled' | 'unhandled') => {
    const child = b.spawn(process.execPath, ['-e', childScript], { env: { ...process.env, LVSD_ADDON: addonPath, MODE: mode } });
    await child.waitForOutput(/ready/);
    tx.send(Buffer.from([0x31, 1, 100, 0]), '224.0.0.18');
    return { child, exit: await child.waitForExit(5_000) };
  };

  it("reaches process.on('uncaughtException'), and closing the socket there lets the process exit", async () => {
    const { child, exit } = await runChild('handled');
    expect(child.output).toContain('caught: boom from onPacket');
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('without a handler the process dies the normal way, printing the error', async () => {
    const { child, exit } = await runChild('unhandled');
    expect(child.output).toContain('Error: boom from onPacket');
    expect(exit.code).toBe(1);
  });
});
