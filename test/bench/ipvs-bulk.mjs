// IPVS at scale: lvsd against ipvsadm on the same kernel in the same run. Needs root, a kernel with
// IPVS (run it in the lab VM: `node test/lab/vm.mjs --timeout 1500 -- node test/bench/ipvs-bulk.mjs`)
// and a build (`npm run build`: it imports dist/).
//   node test/bench/ipvs-bulk.mjs [services=10000] [destinations-per-service=4] [rounds=1] [--serial]
// Rows of the table:
//   bulk apply   lvsd's pipelined read+plan+apply vs `ipvsadm -R` of the same rules;
//   full read    IpvsClient.read() vs `ipvsadm -Sn` (both on the populated table);
//   reconcile    the daemon's path for one changed weight: the YAML text of all services is loaded
//                (parseConfigText), IpvsManager.start() programs it, then one weight is edited and
//                the time from "text changed" to "kernel updated" is split into YAML parse,
//                validation, kernel read-back, plan and netlink; beside it, the scoped path (diff
//                the configs, read back only the changed service) that reload could take;
//   RSS          of this process while the manager holds every service.
// Each contender runs in a fresh network namespace (lvsd-bench-<pid>-*, deleted at the end);
// rounds are interleaved so that a busy machine slows all of them alike; the best time is kept.
// `--serial` adds lvsd with one request in flight (slow at 10,000 services under TCG).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseDocument } from 'yaml';

const dist = new URL('../../dist/', import.meta.url);
if (!existsSync(new URL('daemon/ipvs-manager.js', dist))) {
  console.error('ipvs-bulk: dist/ missing; run `npm run build` first');
  process.exit(2);
}
const { IpvsClient } = await import(new URL('ipvs/client.js', dist).href);
const { planChanges } = await import(new URL('ipvs/plan.js', dist).href);
const { applyPlan } = await import(new URL('ipvs/apply.js', dist).href);
const { configuredIpvs, serviceIdFromConfig } = await import(new URL('ipvs/desired.js', dist).href);
const { parseConfigText } = await import(new URL('config/load.js', dist).href);
const { IpvsManager } = await import(new URL('daemon/ipvs-manager.js', dist).href);
const { HealthMonitor } = await import(new URL('health/index.js', dist).href);
const { createLogger } = await import(new URL('daemon/log.js', dist).href);

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const services = Number(positional[0] ?? 10000);
const perService = Number(positional[1] ?? 4);
const rounds = Number(positional[2] ?? 1);
const withSerial = process.argv.includes('--serial');
if (!(services > 0 && services <= 65536 && perService > 0 && perService <= 250 && rounds > 0 && rounds <= 10)) {
  console.error('ipvs-bulk: services 1..65536, destinations per service 1..250, rounds 1..10');
  process.exit(2);
}

/** VIPs 198.18.4.0 onwards, real servers 198.19.0.1 onwards: all inside 198.18.0.0/15. */
const vip = (i) => `198.18.${4 + (i >> 8)}.${i & 0xff}`;
const real = (n) => `198.19.${n >> 8}.${(n & 0xff) || 1}`;

const desired = { services: [] };
const rules = [];
const yamlServices = [];
for (let i = 0; i < services; i++) {
  const service = { protocol: 'tcp', address: vip(i), port: 80, scheduler: 'wrr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 };
  rules.push(`-A -t ${vip(i)}:80 -s wrr`);
  const destinations = [];
  const yamlReals = [];
  for (let d = 1; d <= perService; d++) {
    const address = real(d);
    destinations.push({ address, port: 80, forwarding: 'dr', weight: d, upperThreshold: 0, lowerThreshold: 0 });
    rules.push(`-a -t ${vip(i)}:80 -r ${address}:80 -g -w ${d}`);
    yamlReals.push(`      - { address: ${address}, port: 80, weight: ${d} }`);
  }
  desired.services.push({ service, destinations });
  yamlServices.push(`  - name: s${i}\n    vip: ${vip(i)}\n    port: 80\n    protocol: tcp\n    scheduler: wrr\n    forwarding: dr\n    real_servers:\n${yamlReals.join('\n')}`);
}
const total = services * (1 + perService);
const configText = (servicesYaml) => `node: { name: bench }\nservices:\n${servicesYaml.join('\n')}\n`;

const namespaces = [];
function netns(tag) {
  const name = `lvsd-bench-${process.pid}-${tag}`;
  execFileSync('ip', ['netns', 'add', name]);
  namespaces.push(name);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}
const inNs = (name, cmd, args, input) => spawnSync('ip', ['netns', 'exec', name, cmd, ...args], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
const elapsed = async (work) => {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
};

async function lvsdApply(name, window) {
  const client = await IpvsClient.open({ netns: `/run/netns/${name}`, window });
  try {
    const apply = await elapsed(async () => applyPlan(client, planChanges(desired, await client.read(), { purgeUnmanaged: false })));
    if (apply.value.failed.length > 0) throw new Error(`${apply.value.failed.length} operations failed, first: ${apply.value.failed[0].error.message}`);
    const read = await elapsed(() => client.read());
    const again = planChanges(desired, read.value, { purgeUnmanaged: false });
    if (again.operations.length !== 0) throw new Error(`second plan not empty: ${again.operations.length} operations`);
    return { applyMs: apply.ms, readMs: read.ms };
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

/**
 * Wraps the client so that time spent in kernel reads and in writes is counted apart; the
 * manager sees the same object shape (it calls methods, never inspects the class).
 */
function timedClient(client, spent) {
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const bucket = prop === 'read' || prop === 'service' || prop === 'destinations' ? 'read' : 'netlink';
      return async (...args) => {
        const t0 = performance.now();
        try {
          return await value.apply(target, args);
        } finally {
          spent[bucket] += performance.now() - t0;
        }
      };
    },
  });
}

function loadOrThrow(text) {
  const r = parseConfigText(text, 'bench.yaml');
  if (!r.ok) throw new Error(`bench config rejected: ${JSON.stringify(r.errors[0])}`);
  return r.config;
}

/** The daemon's reload path for one changed weight, and the scoped alternative, in one netns. */
async function reconcileOneWeight(name) {
  const raw = await IpvsClient.open({ netns: `/run/netns/${name}` });
  const spent = { read: 0, netlink: 0 };
  const client = timedClient(raw, spent);
  const health = new HealthMonitor();
  let reconciledMs = 0;
  const log = createLogger({ level: 'silent', pretty: false });
  try {
    const first = await elapsed(async () => loadOrThrow(configText(yamlServices)));
    const started = await elapsed(() => IpvsManager.start(first.value, { client, health, log, onReconciled: (_r, s) => (reconciledMs = s * 1000) }));
    const manager = started.value;
    global.gc?.();
    const memory = process.memoryUsage();
    try {
      // The edit: the first service's first real server gets a new weight.
      const changed = [...yamlServices];
      changed[0] = changed[0].replace(`${real(1)}, port: 80, weight: 1 }`, `${real(1)}, port: 80, weight: 77 }`);
      const text = configText(changed);
      spent.read = spent.netlink = 0;
      const t0 = performance.now();
      const config = loadOrThrow(text);
      const loadedMs = performance.now() - t0;
      const report = await manager.reload(config);
      const totalMs = performance.now() - t0;
      const yamlMs = (await elapsed(async () => parseDocument(text, { strict: true, uniqueKeys: true, merge: true }))).ms;
      if (report.result.applied.length !== 1) throw new Error(`reload applied ${report.result.applied.length} operations, want 1`);
      const full = { totalMs, yamlMs, validateMs: Math.max(0, loadedMs - yamlMs), readMs: spent.read, planMs: reconciledMs - spent.netlink, netlinkMs: spent.netlink };
      full.otherMs = totalMs - loadedMs - spent.read - reconciledMs;
      // The manager's periodic resync shares the socket: stopped, so the scoped path runs alone.
      await manager.stop();
      return { firstLoadMs: first.ms, startMs: started.ms, full, scoped: await scopedReload(raw, config, changed), rssMiB: memory.rss / 2 ** 20, heapMiB: memory.heapUsed / 2 ** 20 };
    } finally {
      await manager.stop();
    }
  } finally {
    health.stop();
    raw.close();
  }
}

/** Reload as it could be: diff the configs, read back and reconcile only the changed services. */
async function scopedReload(client, config, changed) {
  try {
    changed[0] = changed[0].replace('weight: 77 }', 'weight: 78 }');
    const text2 = configText(changed);
    const s0 = performance.now();
    const next = loadOrThrow(text2);
    const loaded2 = performance.now() - s0;
    const before = new Map(config.services.map((s) => [s.name, JSON.stringify(s)]));
    const touched = next.services.filter((s) => before.get(s.name) !== JSON.stringify(s));
    const diffMs = performance.now() - s0 - loaded2;
    const r0 = performance.now();
    const kernel = { services: [] };
    for (const s of touched) {
      const id = serviceIdFromConfig(s);
      const service = await client.service(id);
      if (service) kernel.services.push({ service, destinations: await client.destinations(id) });
    }
    const readMs = performance.now() - r0;
    const p0 = performance.now();
    const plan = planChanges(configuredIpvs(touched), kernel, { purgeUnmanaged: false });
    const planMs = performance.now() - p0;
    const a0 = performance.now();
    const applied = await applyPlan(client, plan);
    const netlinkMs = performance.now() - a0;
    if (applied.applied.length !== 1) throw new Error(`scoped path applied ${applied.applied.length} operations, want 1`);
    return { totalMs: performance.now() - s0, loadMs: loaded2, diffMs, readMs, planMs, netlinkMs };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

const sortedLines = (text) => text.split('\n').filter(Boolean).sort();
const best = (xs) => Math.min(...xs);
const ms = (x) => `${Math.round(x)} ms`;
const ratio = (ours, theirs) => `${(ours / theirs).toFixed(2)}x`;

try {
  const runs = { pipelined: [], read: [], restore: [], save: [], serial: [] };
  let sameTable = true;
  for (let r = 0; r < rounds; r++) {
    const a = netns(`lvsd${r}`);
    const lvsd = await lvsdApply(a, undefined);
    runs.pipelined.push(lvsd.applyMs);
    runs.read.push(lvsd.readMs);
    const b = netns(`ipvsadm${r}`);
    const restored = ipvsadmRestore(b);
    runs.restore.push(restored.restoreMs);
    runs.save.push(restored.saveMs);
    if (withSerial) runs.serial.push((await lvsdApply(netns(`serial${r}`), 1)).applyMs);
    const ours = sortedLines(inNs(a, 'ipvsadm', ['-Sn']).stdout);
    const theirs = sortedLines(restored.saved);
    sameTable &&= ours.length === theirs.length && ours.every((l, i) => l === theirs[i]);
    for (const name of namespaces.splice(0)) spawnSync('ip', ['netns', 'delete', name]);
  }
  const rc = await reconcileOneWeight(netns('reconcile'));
  const f = rc.full;
  const s = rc.scoped;
  const rows = [
    [`bulk apply ${services}x${perService} (${total} objects)`, `lvsd ${ms(best(runs.pipelined))}`, `ipvsadm -R ${ms(best(runs.restore))}`, ratio(best(runs.pipelined), best(runs.restore))],
    ...(withSerial ? [['bulk apply, one request in flight', `lvsd ${ms(best(runs.serial))}`, '', ratio(best(runs.serial), best(runs.restore))]] : []),
    ['full read', `lvsd read() ${ms(best(runs.read))}`, `ipvsadm -Sn ${ms(best(runs.save))}`, ratio(best(runs.read), best(runs.save))],
    ['reconcile 1 weight, reload path', `${ms(f.totalMs)}`, `yaml ${ms(f.yamlMs)} + validate ${ms(f.validateMs)} + kernel read ${ms(f.readMs)} + plan ${ms(f.planMs)} + netlink ${ms(f.netlinkMs)} + health targets ${ms(f.otherMs)}`, ''],
    s.error
      ? ['reconcile 1 weight, scoped (proposed)', 'FAILED', s.error, '']
      : ['reconcile 1 weight, scoped (proposed)', `${ms(s.totalMs)}`, `load ${ms(s.loadMs)} + diff ${ms(s.diffMs)} + read 1 service ${ms(s.readMs)} + plan ${ms(s.planMs)} + netlink ${ms(s.netlinkMs)}`, ''],
    ['daemon start (config load + full apply)', `${ms(rc.firstLoadMs + rc.startMs)}`, `load ${ms(rc.firstLoadMs)} + IpvsManager.start ${ms(rc.startMs)}`, ''],
    [`RSS holding ${services} services`, `${rc.rssMiB.toFixed(0)} MiB`, `JS heap ${rc.heapMiB.toFixed(0)} MiB`, ''],
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => row[c].length)));
  console.log(`IPVS, ${services} services x ${perService} destinations, ${rounds} round(s), same kernel, same run`);
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join(' | ').trimEnd());
  console.log(`identical tables (lvsd vs ipvsadm -R, by ipvsadm -Sn): ${sameTable}`);
  console.log(JSON.stringify({ services, destinationsPerService: perService, objects: total, rounds, runsMs: runs, reconcile: rc, sameTable }));
  if (!sameTable) process.exitCode = 1;
} finally {
  for (const name of namespaces) spawnSync('ip', ['netns', 'delete', name]);
}
