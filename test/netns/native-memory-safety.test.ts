// Memory safety of the addon's socket lifetime, checked by AddressSanitizer: the addon is built a
// second time with -fsanitize=address and driven through the dangerous paths by a child node
// process — closing (and collecting garbage) from inside the packet callback while more packets
// are queued, a throwing callback, a worker thread terminated with its socket still open, one
// exiting while its socket's close is still pending, and open/close churn. Any use-after-free or double free aborts the child with an ASan report.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { NetnsLab, runAsync, type Netns } from '../support/netns.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const productionAddon = path.join(root, 'build/Release/lvsd_native.node');

// Plain CommonJS so that node runs it without a TypeScript loader. The sender and the receivers
// live in two namespaces the script enters itself with the addon's enterNetns.
const scenario = `
const addon = require(process.env.LVSD_ADDON);
const { Worker } = require('node:worker_threads');
const [nsA, nsB] = [process.env.NS_A, process.env.NS_B];
const inNs = (ns, fn) => { const fd = addon.enterNetns(ns); try { return fn(); } finally { addon.leaveNetns(fd); } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Bounded waits: under ASan on a busy host a datagram can take a while to be read.
async function until(what, cond) {
  for (let i = 0; i < 500 && !cond(); i++) await sleep(10);
  if (!cond()) throw new Error('timed out waiting for ' + what);
}
const tx = inNs(nsA, () => new addon.VrrpSocket(4, 'eth0', '198.18.11.1', true, () => {}));
const burst = (n) => { for (let i = 0; i < n; i++) tx.send(Buffer.from([0x31, 1, 100, 0]), '224.0.0.18'); };

async function main() {
  let calls = 0;
  let rx = inNs(nsB, () => new addon.VrrpSocket(4, 'eth0', '198.18.11.2', true, () => {
    calls++;
    rx.close();
    rx = undefined;
    global.gc();
  }));
  burst(10);
  await until('the first packet', () => calls > 0);
  global.gc();
  burst(10);
  await sleep(100);
  if (calls !== 1) throw new Error('close in callback: ' + calls + ' calls');

  let caught = 0;
  let thrower;
  process.once('uncaughtException', () => { caught++; thrower.close(); });
  thrower = inNs(nsB, () => new addon.VrrpSocket(4, 'eth0', '198.18.11.2', true, () => { throw new Error('boom'); }));
  burst(5);
  await until('the uncaught exception', () => caught > 0);
  await sleep(50);
  thrower = undefined;
  global.gc();
  if (caught !== 1) throw new Error('uncaught exceptions seen: ' + caught);

  const worker = new Worker(\`
    const { parentPort, workerData } = require('node:worker_threads');
    const addon = require(workerData.addon);
    const fd = addon.enterNetns(workerData.ns);
    const s = new addon.VrrpSocket(4, 'eth0', '198.18.11.2', true, () => parentPort.postMessage('packet'));
    addon.leaveNetns(fd);
    parentPort.postMessage('ready');
  \`, { eval: true, workerData: { addon: process.env.LVSD_ADDON, ns: nsB } });
  let packets = 0;
  worker.on('message', (m) => { if (m === 'packet') packets++; });
  await new Promise((r) => worker.once('message', r));
  burst(5);
  await until('a packet in the worker', () => packets > 0);
  await worker.terminate();
  burst(5);
  await sleep(50);
  global.gc();

  // A worker that closes its socket and exits at once: the close is still pending in libuv
  // while the worker's environment is torn down.
  const quitter = new Worker(\`
    const { workerData } = require('node:worker_threads');
    const addon = require(workerData.addon);
    const fd = addon.enterNetns(workerData.ns);
    const s = new addon.VrrpSocket(4, 'eth0', '198.18.11.2', true, () => {});
    addon.leaveNetns(fd);
    s.close();
    process.exit(0);
  \`, { eval: true, workerData: { addon: process.env.LVSD_ADDON, ns: nsB } });
  await new Promise((r) => quitter.once('exit', r));
  global.gc();

  for (let i = 0; i < 2000; i++) {
    inNs(nsB, () => new addon.VrrpSocket(i % 2 ? 4 : 6, 'eth0', i % 2 ? '198.18.11.2' : 'fe80::1', i % 3 === 0, () => {})).close();
    if (i % 500 === 0) { await sleep(1); global.gc(); }
  }
  tx.close();
  await sleep(20);
  global.gc();
  console.log('scenario ok');
}
main().catch((e) => { console.error(e); process.exit(2); });
`;

describeWith(['root', 'netns', 'asan'], 'addon memory safety under AddressSanitizer', () => {
  const lab = new NetnsLab('native');
  let a: Netns;
  let b: Netns;
  let work: string;
  let asanAddon: string;
  let script: string;

  beforeAll(() => {
    [a, b] = lab.pair(11);
    work = mkdtempSync(path.join(tmpdir(), 'lvsd-native-asan-'));
    script = path.join(work, 'scenario.cjs');
    writeFileSync(script, scenario);
    asanAddon = path.join(work, 'lvsd_native.node');
    const nodeHeaders = path.resolve(path.dirname(process.execPath), '../include/node');
    if (!existsSync(path.join(nodeHeaders, 'node_api.h'))) throw new Error(`node headers not found at ${nodeHeaders}`);
    const sources = readdirSync(path.join(root, 'native'))
      .filter((f) => f.endsWith('.cc'))
      .map((f) => path.join(root, 'native', f));
    // The defines mirror binding.gyp's.
    execFileSync(
      'g++',
      [
        '-shared', '-fPIC', '-g', '-O0', '-fsanitize=address', '-fno-omit-frame-pointer', '-std=c++17',
        '-D_GNU_SOURCE', '-DNAPI_VERSION=8', '-DNODE_ADDON_API_DISABLE_DEPRECATED', '-DNODE_ADDON_API_CPP_EXCEPTIONS',
        `-I${nodeHeaders}`, `-I${path.join(root, 'node_modules/node-addon-api')}`,
        ...sources, '-o', asanAddon,
      ],
      { stdio: 'pipe', timeout: 120_000 },
    );
  }, 150_000);

  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await lab.cleanup();
  });

  const runScenario = (addon: string, env: NodeJS.ProcessEnv = {}) =>
    runAsync(process.execPath, ['--expose-gc', script], {
      allowFailure: true,
      timeoutMs: 60_000,
      env: { ...process.env, ...env, LVSD_ADDON: addon, NS_A: a.path, NS_B: b.path },
    });

  it('the instrumented addon survives every lifetime edge without an ASan report', async () => {
    const libasan = execFileSync('g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
    // Node itself is not instrumented and leaks by design at exit, so only memory errors count.
    const result = await runScenario(asanAddon, { LD_PRELOAD: libasan, ASAN_OPTIONS: 'detect_leaks=0' });
    expect(result.stderr).not.toContain('ERROR: AddressSanitizer');
    expect({ ...result, stderr: result.stderr.slice(-3000) }).toMatchObject({ status: 0, stdout: 'scenario ok\n' });
  }, 90_000);

  it('the production build runs the same scenario cleanly', async () => {
    const result = await runScenario(productionAddon);
    expect(result).toEqual({ status: 0, stdout: 'scenario ok\n', stderr: '' });
  }, 90_000);
});
