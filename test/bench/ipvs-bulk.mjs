// IPVS at scale: lvsd against ipvsadm on the same kernel in the same run. Needs root, a kernel with
// IPVS (run it in the lab VM: `node test/lab/vm.mjs --timeout 1500 -- node test/bench/ipvs-bulk.mjs`)
// and a build (`npm run build`: it imports dist/).
//   node test/bench/ipvs-bulk.mjs [services=10000] [destinations-per-service=4] [rounds=5] [--serial] [--reload]
// Rows of the table, each the median of the rounds with the spread (min-max) beside it:
//   bulk apply     lvsd's pipelined read+plan+apply vs `ipvsadm -R` of the same rules;
//   full read      IpvsClient.read() (its dumps run by the addon, src/kernel/genl-dump.ts) vs
//                  `ipvsadm -Sn` (both on the populated table);
//   one weight     the daemon's health/reload path for one changed weight (read back the one
//                  service, plan, apply) vs `ipvsadm -e` of the same edit, on the populated table;
//   RSS            of a fresh lvsd process holding the desired state and the kernel's table of
//                  every service (node --expose-gc, after a full GC), beside ipvsadm -Sn's peak RSS.
// `--reload` adds the daemon's whole reload path (YAML of every service parsed and validated,
// IpvsManager.start, one weight edited and reloaded) with its RSS; slow under emulation.
// Each contender runs in a fresh network namespace (lvsd-bench-<pid>-*, deleted at the end);
// rounds are interleaved so that a busy machine slows all of them alike.
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
const { parseConfigText } = await import(new URL('config/load.js', dist).href);
const { IpvsManager } = await import(new URL('daemon/ipvs-manager.js', dist).href);
const { diffServices } = await import(new URL('daemon/reload-decision.js', dist).href);
const { HealthMonitor } = await import(new URL('health/index.js', dist).href);
const { createLogger } = await import(new URL('daemon/log.js', dist).href);

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const services = Number(positional[0] ?? 10000);
const perService = Number(positional[1] ?? 4);
const rounds = Number(positional[2] ?? 5);
const withSerial = process.argv.includes('--serial');
const withReload = process.argv.includes('--reload');
const holdIn = process.argv.find((a) => a.startsWith('--hold='))?.slice('--hold='.length);
if (!(services > 0 && services <= 65536 && perService > 0 && perService <= 250 && rounds > 0 && rounds <= 10)) {
  console.error('ipvs-bulk: services 1..65536, destinations per service 1..250, rounds 1..10');
  process.exit(2);
}

/** VIPs 198.18.4.0 onwards, real servers 198.19.0.1 onwards: all inside 198.18.0.0/15. */
const vip = (i) => `198.18.${4 + (i >> 8)}.${i & 0xff}`;
const real = (n) => `198.19.${n >> 8}.${(n & 0xff) || 1}`;

// The same table three ways: lvsd's desired state, ipvsadm -R rules and the YAML the daemon reads.
// A --hold child builds only the desired state, so its RSS is what lvsd holds, not the bench's text.
const desired = { services: [] };
const rules = [];
const yamlServices = [];
for (let i = 0; i < services; i++) {
  const service = { protocol: 'tcp', address: vip(i), port: 80, scheduler: 'wrr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 };
  const destinations = [];
  for (let d = 1; d <= perService; d++) destinations.push({ address: real(d), port: 80, forwarding: 'dr', weight: d, upperThreshold: 0, lowerThreshold: 0 });
  desired.services.push({ service, destinations });
  if (holdIn) continue;
  rules.push(`-A -t ${vip(i)}:80 -s wrr`);
  for (let d = 1; d <= perService; d++) rules.push(`-a -t ${vip(i)}:80 -r ${real(d)}:80 -g -w ${d}`);
  const yamlReals = destinations.map((d) => `      - { address: ${d.address}, port: 80, weight: ${d.weight} }`);
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

/** The daemon's reload path for one changed weight (--reload), in one netns. */
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
      const report = await manager.reload(config, diffServices(first.value, config));
      const totalMs = performance.now() - t0;
      const yamlMs = (await elapsed(async () => parseDocument(text, { strict: true, uniqueKeys: true, merge: true }))).ms;
      if (report.result.applied.length !== 1) throw new Error(`reload applied ${report.result.applied.length} operations, want 1`);
      const full = { totalMs, yamlMs, validateMs: Math.max(0, loadedMs - yamlMs), readMs: spent.read, planMs: reconciledMs - spent.netlink, netlinkMs: spent.netlink };
      full.otherMs = totalMs - loadedMs - spent.read - reconciledMs;
      return { firstLoadMs: first.ms, startMs: started.ms, full, rssMiB: memory.rss / 2 ** 20, heapMiB: memory.heapUsed / 2 ** 20 };
    } finally {
      await manager.stop();
    }
  } finally {
    health.stop();
    raw.close();
  }
}

/**
 * The --hold child: lvsd's IPVS side holding every service (the desired state and the kernel's
 * table as read back), measured after a full GC in a process that did nothing else.
 */
async function hold(name) {
  const client = await IpvsClient.open({ netns: `/run/netns/${name}` });
  try {
    const kernel = await client.read();
    if (kernel.services.length !== services) throw new Error(`read ${kernel.services.length} services, want ${services}`);
    for (let i = 0; i < 3; i++) global.gc?.();
    const m = process.memoryUsage();
    console.log(JSON.stringify({ rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, held: [desired.services.length, kernel.services.length] }));
  } finally {
    client.close();
  }
}

/** The path a health change or a one-weight reload takes: read back the one service, plan, apply. */
async function oneWeight(client, weight) {
  const row = desired.services[0];
  const changed = { service: row.service, destinations: row.destinations.map((d, i) => (i === 0 ? { ...d, weight } : d)) };
  const t0 = performance.now();
  const service = await client.service(row.service);
  const kernel = { services: service ? [{ service, destinations: await client.destinations(row.service) }] : [] };
  const plan = planChanges({ services: [changed] }, kernel, { purgeUnmanaged: false });
  const applied = await applyPlan(client, plan);
  const ms = performance.now() - t0;
  if (applied.applied.length !== 1 || applied.failed.length !== 0) throw new Error(`one-weight reconcile applied ${applied.applied.length}, failed ${applied.failed.length}`);
  return ms;
}

function ipvsadmOneWeight(name, weight) {
  const t0 = performance.now();
  const r = inNs(name, 'ipvsadm', ['-e', '-t', `${vip(0)}:80`, '-r', `${real(1)}:80`, '-g', '-w', String(weight)]);
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`ipvsadm -e failed: ${r.stderr}`);
  return ms;
}

/** Peak RSS of `ipvsadm -Sn` on the populated table (GNU time's %M, KiB), when /usr/bin/time exists. */
function ipvsadmPeakRssMiB(name) {
  if (!existsSync('/usr/bin/time')) return undefined;
  const r = spawnSync('ip', ['netns', 'exec', name, '/usr/bin/time', '-f', '%M', 'ipvsadm', '-Sn'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const kib = Number(r.stderr.trim().split('\n').at(-1));
  return Number.isFinite(kib) ? kib / 1024 : undefined;
}

const sortedLines = (text) => text.split('\n').filter(Boolean).sort();
const ms = (x) => `${Math.round(x)} ms`;
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  const mid = a.length >> 1;
  return a.length % 2 ? a[mid] : (a[mid - 1] + a[mid]) / 2;
};
const spread = (xs) => `${ms(median(xs))} (${Math.round(Math.min(...xs))}-${Math.round(Math.max(...xs))})`;
const ratio = (ours, theirs) => `${(median(ours) / median(theirs)).toFixed(2)}x`;

if (holdIn) {
  await hold(holdIn);
  process.exit(0);
}

try {
  const runs = { apply: [], read: [], restore: [], save: [], serial: [], oneWeight: [], ipvsadmOneWeight: [] };
  let sameTable = true;
  let keep;
  for (let r = 0; r < rounds; r++) {
    const a = netns(`lvsd${r}`);
    const lvsd = await lvsdApply(a, undefined);
    runs.apply.push(lvsd.applyMs);
    runs.read.push(lvsd.readMs);
    const b = netns(`ipvsadm${r}`);
    const restored = ipvsadmRestore(b);
    runs.restore.push(restored.restoreMs);
    runs.save.push(restored.saveMs);
    if (withSerial) runs.serial.push((await lvsdApply(netns(`serial${r}`), 1)).applyMs);
    const ours = sortedLines(inNs(a, 'ipvsadm', ['-Sn']).stdout);
    const theirs = sortedLines(restored.saved);
    sameTable &&= ours.length === theirs.length && ours.every((l, i) => l === theirs[i]);
    keep = { lvsd: a, ipvsadm: b };
    for (const name of namespaces.splice(0)) if (r < rounds - 1) spawnSync('ip', ['netns', 'delete', name]);
  }
  namespaces.push(keep.lvsd, keep.ipvsadm);
  // One weight, on the populated tables, alternating contenders; 5 edits each at least.
  const client = await IpvsClient.open({ netns: `/run/netns/${keep.lvsd}` });
  try {
    for (let k = 0; k < Math.max(5, rounds); k++) {
      runs.oneWeight.push(await oneWeight(client, 100 + k));
      runs.ipvsadmOneWeight.push(ipvsadmOneWeight(keep.ipvsadm, 100 + k));
    }
  } finally {
    client.close();
  }
  const held = JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', new URL(import.meta.url).pathname, String(services), String(perService), '1', `--hold=${keep.lvsd}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }).trim().split('\n').at(-1),
  );
  const ipvsadmRss = ipvsadmPeakRssMiB(keep.ipvsadm);
  const rc = withReload ? await reconcileOneWeight(netns('reconcile')) : undefined;
  const mib = (x) => `${x.toFixed(0)} MiB`;
  const rows = [
    ['', 'lvsd, median (min-max)', 'ipvsadm, median (min-max)', 'lvsd/ipvsadm'],
    [`bulk apply ${services}x${perService} (${total} objects)`, spread(runs.apply), `-R ${spread(runs.restore)}`, ratio(runs.apply, runs.restore)],
    ...(withSerial ? [['bulk apply, one request in flight', spread(runs.serial), '', ratio(runs.serial, runs.restore)]] : []),
    ['full read', spread(runs.read), `-Sn ${spread(runs.save)}`, ratio(runs.read, runs.save)],
    ['one-weight reconcile (read 1 service, plan, apply)', spread(runs.oneWeight), `-e ${spread(runs.ipvsadmOneWeight)}`, ratio(runs.oneWeight, runs.ipvsadmOneWeight)],
    [`RSS holding ${services} services (after GC)`, `${mib(held.rssMiB)} (JS heap ${mib(held.heapMiB)})`, ipvsadmRss === undefined ? '' : `-Sn peak ${mib(ipvsadmRss)}`, ''],
  ];
  if (rc) {
    const f = rc.full;
    rows.push(
      ['reload path, 1 weight (YAML of every service)', ms(f.totalMs), `yaml ${ms(f.yamlMs)} + validate ${ms(f.validateMs)} + kernel read ${ms(f.readMs)} + plan ${ms(f.planMs)} + netlink ${ms(f.netlinkMs)} + health targets ${ms(f.otherMs)}`, ''],
      ['daemon start (config load + full apply)', ms(rc.firstLoadMs + rc.startMs), `load ${ms(rc.firstLoadMs)} + IpvsManager.start ${ms(rc.startMs)}`, ''],
      [`RSS of the bench holding the manager`, mib(rc.rssMiB), `JS heap ${mib(rc.heapMiB)}`, ''],
    );
  }
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => row[c].length)));
  console.log(`IPVS, ${services} services x ${perService} destinations, ${rounds} rounds, same kernel, same run`);
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join(' | ').trimEnd());
  console.log(`identical tables (lvsd vs ipvsadm -R, by ipvsadm -Sn): ${sameTable}`);
  console.log(JSON.stringify({ services, destinationsPerService: perService, objects: total, rounds, runsMs: runs, held, ipvsadmRssMiB: ipvsadmRss, reload: rc, sameTable }));
  if (!sameTable) process.exitCode = 1;
} finally {
  for (const name of namespaces) spawnSync('ip', ['netns', 'delete', name]);
}
