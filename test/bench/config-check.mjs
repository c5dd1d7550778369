// `lvsd check` against `keepalived -t` on the same configuration, side by side in one run:
//   node test/bench/config-check.mjs [runs] [sizes]     e.g. 5 1000,10000
// Both files hold the same content: one VRRP instance floating the VIPs, N virtual services with
// an HTTP check each and 4 real servers (keepalived has the check in each real server, as its
// syntax wants). Addresses are in 198.18.0.0/15 only. Each tool runs `runs` times, alternating,
// as a child of a small python3 wrapper that reports the child's wall time, CPU time and peak RSS
// (getrusage(RUSAGE_CHILDREN), so no GNU time is needed). On a shared machine the CPU column is
// the steadier one: wall time also counts the time the scheduler gave to others. A second table
// times the daemon's reload path in-process: a cold load, then the file with one weight changed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../../dist/', import.meta.url);
const cli = new URL('cli/main.js', dist).pathname;
const runs = Number(process.argv[2] ?? 5);
const sizes = (process.argv[3] ?? '1000,10000').split(',').map(Number);
if (!(runs >= 1 && runs <= 50) || !sizes.every((n) => n >= 1 && n <= 60000)) {
  console.error('config-check: runs 1..50, sizes 1..60000');
  process.exit(2);
}
const PER_SERVICE = 4;

/** 100 services per VIP (ports 1000 up), VIPs 198.18.4.0 onwards, real servers 198.19.0.1-4. */
function generate(services) {
  const vipCount = Math.ceil(services / 100);
  const vip = (v) => `198.18.${4 + (v >> 8)}.${v & 0xff}`;
  const vips = Array.from({ length: vipCount }, (_, v) => vip(v));
  const lvsd = [
    'node: { name: bench }',
    'vrrp:',
    '  instances:',
    '    - name: vi1', '      interface: eth0', '      vrid: 51', '      priority: 150', '      advert_interval: 1s',
    `      vips: [${vips.map((a) => `${a}/32`).join(', ')}]`,
    'services:',
  ];
  const keepalived = [
    'global_defs {', '  router_id bench', '}',
    'vrrp_instance vi1 {', '  state BACKUP', '  interface eth0', '  virtual_router_id 51', '  priority 150', '  advert_int 1',
    '  virtual_ipaddress {', ...vips.map((a) => `    ${a}/32`), '  }', '}',
  ];
  for (let i = 0; i < services; i++) {
    const address = vip(i % vipCount);
    const port = 1000 + Math.floor(i / vipCount);
    lvsd.push(
      `  - name: s${i}`, `    vip: ${address}`, `    port: ${port}`, '    protocol: tcp', '    scheduler: wrr', '    forwarding: dr',
      '    check: { type: http, path: /healthz, expect_status: [200], interval: 2s, timeout: 1s, rise: 2, fall: 3 }',
      '    real_servers:',
    );
    keepalived.push(`virtual_server ${address} ${port} {`, '  delay_loop 2', '  lb_algo wrr', '  lb_kind DR', '  protocol TCP');
    for (let d = 1; d <= PER_SERVICE; d++) {
      lvsd.push(`      - { address: 198.19.0.${d}, port: ${port}, weight: ${d} }`);
      keepalived.push(
        `  real_server 198.19.0.${d} ${port} {`, `    weight ${d}`,
        '    HTTP_GET {', '      url {', '        path /healthz', '        status_code 200', '      }',
        '      connect_timeout 1', '      retry 3', '      delay_before_retry 2', '    }', '  }',
      );
    }
    keepalived.push('}');
  }
  return { lvsd: `${lvsd.join('\n')}\n`, keepalived: `${keepalived.join('\n')}\n` };
}

const WRAPPER = `
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(r.returncode, wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
sys.stderr.write(r.stderr.decode(errors='replace')[-2000:])
`;

/** One run of a command: wall seconds, CPU seconds (user + system) and peak RSS (MiB) of the child. */
function measure(command) {
  const r = spawnSync('python3', ['-c', WRAPPER, ...command], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const [code, wall, rss, cpu] = (r.stdout ?? '').trim().split(' ').map(Number);
  if (r.status !== 0 || code !== 0) throw new Error(`${command.join(' ')} failed (exit ${code ?? r.status}): ${(r.stderr ?? '').slice(-500)}`);
  return { wall, cpu, rssMiB: rss / 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

const dir = mkdtempSync(join(tmpdir(), 'lvsd-config-bench-'));
try {
  const keepalivedVersion = spawnSync('keepalived', ['--version'], { encoding: 'utf8' });
  console.log(`node ${process.version}; ${(keepalivedVersion.stderr || keepalivedVersion.stdout).split('\n')[0]}; ${runs} runs each, alternating`);
  const rows = [];
  const reloadRows = [];
  for (const services of sizes) {
    const files = generate(services);
    const lvsdFile = join(dir, `lvsd-${services}.yaml`);
    const keepalivedFile = join(dir, `keepalived-${services}.conf`);
    writeFileSync(lvsdFile, files.lvsd);
    writeFileSync(keepalivedFile, files.keepalived);
    const tools = {
      'lvsd check': ['node', cli, 'check', '-c', lvsdFile],
      'keepalived -t': ['keepalived', '-t', '-f', keepalivedFile],
    };
    const results = Object.fromEntries(Object.keys(tools).map((t) => [t, []]));
    for (let r = 0; r < runs; r++) for (const [tool, command] of Object.entries(tools)) results[tool].push(measure(command));
    const lvsdMedian = median(results['lvsd check'].map((m) => m.wall));
    for (const [tool, ms] of Object.entries(results)) {
      const wall = stats(ms.map((m) => m.wall));
      const rss = stats(ms.map((m) => m.rssMiB));
      const cpu = stats(ms.map((m) => m.cpu));
      rows.push([
        `${services} x ${PER_SERVICE}`, tool, wall.median.toFixed(3), wall.min.toFixed(3), wall.max.toFixed(3), cpu.median.toFixed(3),
        rss.median.toFixed(0), rss.max.toFixed(0), tool === 'keepalived -t' ? `${(lvsdMedian / wall.median).toFixed(2)}x` : '',
      ]);
    }
    reloadRows.push(reloadTimes(services, lvsdFile));
  }
  console.log('');
  table(['services', 'tool', 'wall s (median)', 'min', 'max', 'cpu s (median)', 'peak RSS MiB (median)', 'max', 'lvsd / keepalived (wall)'], rows);
  console.log('\nreload path in-process (ConfigLoader), ms: a cold load, then the file with one weight changed');
  table(['services', 'step', 'median', 'min', 'max', 'validated', 'reused'], reloadRows.flat());
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** The daemon's loader: one cold load, then `runs` reloads of the file with one weight changed. */
function reloadTimes(services, file) {
  const child = spawnSync('node', ['--input-type=module', '-e', `
    const { ConfigLoader } = await import(${JSON.stringify(new URL('config/load.js', dist).href)});
    const { performance } = await import('node:perf_hooks');
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(${JSON.stringify(file)}, 'utf8');
    const cold = [], reload = [];
    let stats;
    for (let r = 0; r < ${runs}; r++) {
      const loader = new ConfigLoader();
      let t = performance.now();
      if (!loader.parse(text, 'bench.yaml').ok) throw new Error('bench config rejected');
      cold.push(performance.now() - t);
      const changed = text.replace('weight: 1 }', 'weight: 71 }');
      t = performance.now();
      if (!loader.parse(changed, 'bench.yaml').ok) throw new Error('changed bench config rejected');
      reload.push(performance.now() - t);
      stats = loader.lastStats;
    }
    console.log(JSON.stringify({ cold, reload, stats }));
  `], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (child.status !== 0) throw new Error(`reload timing failed: ${child.stderr}`);
  const { cold, reload, stats: last } = JSON.parse(child.stdout);
  const fmt = (xs) => { const s = stats(xs); return [s.median.toFixed(0), s.min.toFixed(0), s.max.toFixed(0)]; };
  return [
    [`${services} x ${PER_SERVICE}`, 'cold load', ...fmt(cold), services, 0],
    [`${services} x ${PER_SERVICE}`, 'reload, 1 weight changed', ...fmt(reload), last.validated, last.reused],
  ];
}
