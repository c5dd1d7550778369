// Whole-daemon memory at scale: `lvsd run` against keepalived on the same content, side by side
// in one run. Needs root, a kernel with IPVS (the lab VM:
// `node test/lab/vm.mjs --timeout 2400 -- node test/bench/ipvs-daemon-rss.mjs`), keepalived,
// python3 and a build (`npm run build`).
//   node test/bench/ipvs-daemon-rss.mjs [services=10000] [rounds=5] [settle-seconds=60]
// Each daemon holds N services x 4 real servers in IPVS, one VRRP instance floating the VIPs
// (10 VIPs, services on ports 1000 up) and a TCP check per real server every 60 s, checkers on for
// both: the real servers are 198.19.0.1-4 on the namespace's loopback, where a python3 acceptor
// answers every port, so every check passes. A round starts a daemon in a fresh namespace, waits
// until the kernel lists every service, lets it run `settle` seconds (each check has run once)
// and reads VmRSS of the daemon (keepalived: its three processes together) every 2 s. Reported:
// RSS at the end of the settle window and the peak (VmHWM) during the round, median (min-max).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const dist = new URL('../../dist/', import.meta.url);
if (!existsSync(new URL('cli/main.js', dist))) {
  console.error('ipvs-daemon-rss: dist/ missing; run `npm run build` first');
  process.exit(2);
}
const { IpvsClient } = await import(new URL('ipvs/client.js', dist).href);
const cli = new URL('cli/main.js', dist).pathname;

const services = Number(process.argv[2] ?? 10000);
const rounds = Number(process.argv[3] ?? 5);
const settleS = Number(process.argv[4] ?? 60);
if (!(services >= 10 && services <= 20000 && rounds >= 1 && rounds <= 10 && settleS >= 5 && settleS <= 600)) {
  console.error('ipvs-daemon-rss: services 10..20000, rounds 1..10, settle 5..600 s');
  process.exit(2);
}
for (const tool of ['keepalived', 'python3', 'ipvsadm']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`ipvs-daemon-rss: needs ${tool}`);
    process.exit(2);
  }
}

const VIPS = 10;
const PER_SERVICE = 4;
const ports = Math.ceil(services / VIPS);
const vip = (v) => `198.18.${4 + (v >> 8)}.${v & 0xff}`;
const vips = Array.from({ length: VIPS }, (_, v) => vip(v));
const serviceAt = (i) => ({ address: vip(i % VIPS), port: 1000 + Math.floor(i / VIPS) });

function lvsdConfig(dir) {
  const out = [
    'node: { name: bench }',
    `control: { socket: /run/lvsd-rss-${process.pid}.sock }`,
    'metrics: { listen: 127.0.0.1:19812 }',
    `ipvs: { state_dir: ${dir} }`,
    'logging: { level: warn }',
    'vrrp:',
    '  instances:',
    '    - { name: vi1, interface: eth0, vrid: 51, priority: 150, advert_interval: 1s,',
    `        vips: [${vips.map((a) => `${a}/32`).join(', ')}] }`,
    'services:',
  ];
  for (let i = 0; i < services; i++) {
    const { address, port } = serviceAt(i);
    out.push(
      `  - name: s${i}`, `    vip: ${address}`, `    port: ${port}`, '    protocol: tcp', '    scheduler: wrr', '    forwarding: dr',
      '    check: { type: tcp, interval: 60s, timeout: 2s, rise: 1, fall: 3 }',
      '    real_servers:',
    );
    for (let d = 1; d <= PER_SERVICE; d++) out.push(`      - { address: 198.19.0.${d}, port: ${port}, weight: ${d} }`);
  }
  return out.join('\n') + '\n';
}

function keepalivedConfig() {
  const out = [
    'global_defs {', '  router_id bench', '}',
    'vrrp_instance vi1 {', '  state BACKUP', '  interface eth0', '  virtual_router_id 51', '  priority 150', '  advert_int 1',
    '  virtual_ipaddress {', ...vips.map((a) => `    ${a}/32`), '  }', '}',
  ];
  for (let i = 0; i < services; i++) {
    const { address, port } = serviceAt(i);
    out.push(`virtual_server ${address} ${port} {`, '  delay_loop 60', '  lb_algo wrr', '  lb_kind DR', '  protocol TCP');
    for (let d = 1; d <= PER_SERVICE; d++) out.push(`  real_server 198.19.0.${d} ${port} {`, `    weight ${d}`, '    TCP_CHECK {', '      connect_timeout 2', '    }', '  }');
    out.push('}');
  }
  return out.join('\n') + '\n';
}

/** Accepts and closes every connection to the real servers' ports (all of them, on 198.19.0.1-4). */
const ACCEPTOR = `
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in range(int(sys.argv[1]), int(sys.argv[2])):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port)); s.listen(512); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print('ready', flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept(); c.close()
        except OSError:
            pass
`;

const namespaces = [];
const children = [];
function labNetns(tag) {
  const name = `lvsd-rss-${process.pid}-${tag}`;
  const ip = (...args) => execFileSync('ip', ['-n', name, ...args]);
  execFileSync('ip', ['netns', 'add', name]);
  namespaces.push(name);
  ip('link', 'set', 'lo', 'up');
  for (let d = 1; d <= PER_SERVICE; d++) ip('addr', 'add', `198.19.0.${d}/32`, 'dev', 'lo');
  ip('link', 'add', 'eth0', 'type', 'dummy');
  ip('addr', 'add', '198.18.0.1/24', 'dev', 'eth0');
  ip('link', 'set', 'eth0', 'up');
  return name;
}

function startIn(ns, cmd, args) {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stdout.setEncoding('utf8');
  // The last output, for the error when a daemon ends before it is ready.
  child.tail = '';
  const keep = (chunk) => (child.tail = (child.tail + chunk).slice(-2000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return child;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every pid in the tree under `root` (the `ip netns exec` wrapper execs, so root is the daemon). */
function tree(root) {
  const pids = [root];
  for (let i = 0; i < pids.length; i++) {
    const kids = spawnSync('pgrep', ['-P', String(pids[i])], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    pids.push(...kids);
  }
  return pids;
}

/** Sum of a status field (kB) over the given pids, in MiB. */
function statusMiB(pids, field) {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

async function round(kind, r) {
  const ns = labNetns(`${kind}${r}`);
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-rss-'));
  const acceptor = startIn(ns, 'python3', ['-c', ACCEPTOR, '1000', String(1000 + ports)]);
  await new Promise((resolve) => acceptor.stdout.once('data', resolve));
  const t0 = performance.now();
  let daemon;
  if (kind === 'lvsd') {
    writeFileSync(join(dir, 'lvsd.yaml'), lvsdConfig(dir));
    daemon = startIn(ns, process.execPath, [cli, 'run', '-c', join(dir, 'lvsd.yaml')]);
  } else {
    writeFileSync(join(dir, 'keepalived.conf'), keepalivedConfig());
    daemon = startIn(ns, 'keepalived', ['-n', '-D', '-f', join(dir, 'keepalived.conf'), '-p', join(dir, 'k.pid'), '-c', join(dir, 'c.pid'), '-r', join(dir, 'v.pid')]);
  }
  const client = await IpvsClient.open({ netns: `/run/netns/${ns}` });
  let readyS;
  let peak = 0;
  const samples = [];
  try {
    for (let k = 0; k < 900; k++) {
      await sleep(2000);
      if (daemon.exitCode !== null) throw new Error(`${kind} ended (${daemon.exitCode}) before it was ready: ${daemon.tail}`);
      peak = Math.max(peak, statusMiB(tree(daemon.pid), 'VmRSS'));
      if ((await client.services()).length >= services) break;
    }
    readyS = (performance.now() - t0) / 1000;
    for (let k = 0; k < settleS / 2; k++) {
      await sleep(2000);
      const rss = statusMiB(tree(daemon.pid), 'VmRSS');
      samples.push(rss);
      peak = Math.max(peak, rss);
    }
    const hwm = statusMiB(tree(daemon.pid), 'VmHWM');
    return { readyS, rssMiB: samples.at(-1), peakMiB: Math.max(peak, hwm) };
  } finally {
    client.close();
    daemon.kill('SIGTERM');
    await new Promise((resolve) => (daemon.exitCode !== null ? resolve() : daemon.once('exit', resolve)));
    acceptor.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  const mid = a.length >> 1;
  return a.length % 2 ? a[mid] : (a[mid - 1] + a[mid]) / 2;
};
const spread = (xs, unit) => `${median(xs).toFixed(0)} ${unit} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`;

try {
  const runs = { lvsd: [], keepalived: [] };
  for (let r = 0; r < rounds; r++) {
    for (const kind of ['lvsd', 'keepalived']) {
      const result = await round(kind, r);
      runs[kind].push(result);
      console.error(`[ipvs-daemon-rss] round ${r + 1}/${rounds} ${kind}: ${JSON.stringify(result)}`);
      for (const ns of namespaces.splice(0)) spawnSync('ip', ['netns', 'delete', ns]);
    }
  }
  const rows = [
    ['', 'lvsd run, median (min-max)', 'keepalived, median (min-max)', 'lvsd/keepalived'],
    ...[
      [`RSS holding ${services}x${PER_SERVICE}, ${settleS} s after start`, 'rssMiB', 'MiB'],
      ['peak RSS (VmHWM) during the round', 'peakMiB', 'MiB'],
      ['start until every service is in IPVS', 'readyS', 's'],
    ].map(([label, field, unit]) => {
      const ours = runs.lvsd.map((x) => x[field]);
      const theirs = runs.keepalived.map((x) => x[field]);
      return [label, spread(ours, unit), spread(theirs, unit), `${(median(ours) / median(theirs)).toFixed(2)}x`];
    }),
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => row[c].length)));
  console.log(`Daemon memory, ${services} services x ${PER_SERVICE} real servers, TCP checks every 60 s (checkers on, all passing), 1 VRRP instance with ${VIPS} VIPs, ${rounds} rounds`);
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join(' | ').trimEnd());
  console.log(JSON.stringify({ services, rounds, settleS, runs }));
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const ns of namespaces) spawnSync('ip', ['netns', 'delete', ns]);
}
