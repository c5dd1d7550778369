// Bulk programming of IPVS: lvsd's pipelined apply against `ipvsadm -R`, and against lvsd with
// one request in flight at a time. Needs root, a kernel with IPVS (run it in the lab VM) and a
// build (`npm run build`: it imports dist/).
//   node test/bench/ipvs-bulk.mjs [services=1000] [destinations-per-service=4] [rounds=3]
// Each contender runs once per round in a fresh network namespace (lvsd-bench-<pid>-*, deleted at
// the end), rounds interleaved so that a busy machine slows all of them alike; the best time of
// each is reported.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const dist = new URL('../../dist/', import.meta.url);
if (!existsSync(new URL('ipvs/client.js', dist))) {
  console.error('ipvs-bulk: dist/ipvs/client.js missing; run `npm run build` first');
  process.exit(2);
}
const { IpvsClient } = await import(new URL('ipvs/client.js', dist).href);
const { planChanges } = await import(new URL('ipvs/plan.js', dist).href);
const { applyPlan } = await import(new URL('ipvs/apply.js', dist).href);

const services = Number(process.argv[2] ?? 1000);
const perService = Number(process.argv[3] ?? 4);
const rounds = Number(process.argv[4] ?? 3);
if (!(services > 0 && services <= 65536 && perService > 0 && perService <= 250 && rounds > 0 && rounds <= 10)) {
  console.error('ipvs-bulk: services 1..65536, destinations per service 1..250, rounds 1..10');
  process.exit(2);
}

/** VIPs 198.18.4.0 onwards, real servers 198.19.0.1 onwards: all inside 198.18.0.0/15. */
const vip = (i) => `198.18.${4 + (i >> 8)}.${i & 0xff}`;
const real = (n) => `198.19.${n >> 8}.${(n & 0xff) || 1}`;

const desired = { services: [] };
const rules = [];
for (let i = 0; i < services; i++) {
  const service = { protocol: 'tcp', address: vip(i), port: 80, scheduler: 'wrr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 };
  rules.push(`-A -t ${vip(i)}:80 -s wrr`);
  const destinations = [];
  for (let d = 1; d <= perService; d++) {
    const address = real(d);
    destinations.push({ address, port: 80, forwarding: 'dr', weight: d, upperThreshold: 0, lowerThreshold: 0 });
    rules.push(`-a -t ${vip(i)}:80 -r ${address}:80 -g -w ${d}`);
  }
  desired.services.push({ service, destinations });
}
const total = services * (1 + perService);

const namespaces = [];
function netns(tag) {
  const name = `lvsd-bench-${process.pid}-${tag}`;
  execFileSync('ip', ['netns', 'add', name]);
  namespaces.push(name);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}
const inNs = (name, cmd, args, input) => spawnSync('ip', ['netns', 'exec', name, cmd, ...args], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

async function lvsdApply(name, window) {
  const client = await IpvsClient.open({ netns: `/run/netns/${name}`, window });
  try {
    const t0 = performance.now();
    const plan = planChanges(desired, await client.read(), { purgeUnmanaged: false });
    const result = await applyPlan(client, plan);
    const applyMs = performance.now() - t0;
    if (result.failed.length > 0) throw new Error(`${result.failed.length} operations failed, first: ${result.failed[0].error.message}`);
    const t1 = performance.now();
    const again = planChanges(desired, await client.read(), { purgeUnmanaged: false });
    const replanMs = performance.now() - t1;
    if (again.operations.length !== 0) throw new Error(`second plan not empty: ${again.operations.length} operations`);
    return { applyMs, replanMs, operations: plan.operations.length };
  } finally {
    client.close();
  }
}

function ipvsadmRestore(name) {
  const t0 = performance.now();
  const r = inNs(name, 'ipvsadm', ['-R'], rules.join('\n') + '\n');
  const restoreMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`ipvsadm -R failed: ${r.stderr}`);
  const t1 = performance.now();
  const saved = inNs(name, 'ipvsadm', ['-Sn']);
  return { restoreMs, saveMs: performance.now() - t1, saved: saved.stdout };
}

const sortedLines = (text) => text.split('\n').filter(Boolean).sort();
const best = (xs) => Math.round(Math.min(...xs));

try {
  const runs = { pipelined: [], replan: [], restore: [], save: [], serial: [] };
  let sameTable = true;
  for (let r = 0; r < rounds; r++) {
    const a = netns(`lvsd${r}`);
    const pipelined = await lvsdApply(a, undefined);
    runs.pipelined.push(pipelined.applyMs);
    runs.replan.push(pipelined.replanMs);
    const b = netns(`ipvsadm${r}`);
    const restored = ipvsadmRestore(b);
    runs.restore.push(restored.restoreMs);
    runs.save.push(restored.saveMs);
    const c = netns(`serial${r}`);
    runs.serial.push((await lvsdApply(c, 1)).applyMs);
    const ours = sortedLines(inNs(a, 'ipvsadm', ['-Sn']).stdout);
    const theirs = sortedLines(restored.saved);
    sameTable &&= ours.length === theirs.length && ours.every((l, i) => l === theirs[i]);
    for (const name of namespaces.splice(0)) spawnSync('ip', ['netns', 'delete', name]);
  }
  const results = {
    services,
    destinationsPerService: perService,
    objects: total,
    rounds,
    lvsdPipelinedApplyMs: best(runs.pipelined),
    ipvsadmRestoreMs: best(runs.restore),
    lvsdOneAtATimeApplyMs: best(runs.serial),
    lvsdReadAndReplanMs: best(runs.replan),
    ipvsadmSaveMs: best(runs.save),
    allRunsMs: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.map(Math.round)])),
    sameTable,
  };
  console.log(JSON.stringify(results, null, 2));
  if (!sameTable) process.exitCode = 1;
} finally {
  for (const name of namespaces) spawnSync('ip', ['netns', 'delete', name]);
}
