// BGP mode: how long the upstream router keeps sending a VIP's traffic to a director that stopped
// serving it. A router namespace runs BIRD (ECMP, BFD); a director runs BIRD with the config
// `lvsd bgp-config` generates, fed by lvsd's kernel table. Fresh BIRDs every round. Measured at
// the router's kernel route, polled every few ms (each poll is an `ip` process: resolution ~5-10 ms):
//   - withdraw: lvsd deletes the VIP route (a service down, a drain, a stop) -> the router drops it;
//   - silent director, BFD 100 ms x 3: BIRD frozen (a hung or powered-off host: nothing is closed);
//   - silent director without BFD, hold time 3 s (the least BGP allows): what BFD is measured against.
//   node test/bench/bgp-withdraw.mjs [rounds=5]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BenchLab, ip, root, sleep, waitFor } from './vrrp-lab.mjs';

const { birdConfig } = await import(path.join(root, 'dist', 'bgp', 'bird-config.js'));
const { parseConfigText } = await import(path.join(root, 'dist', 'config', 'load.js'));

const rounds = Number(process.argv[2] ?? 5);
const VIP = '198.18.0.100';
const ROUTER = '198.18.0.254';
const DIRECTOR = '198.18.0.1';

const lab = new BenchLab('bgpbench');
const ns = lab.setUpLan({ router: ROUTER, d1: DIRECTOR });

function directorBirdConf({ bfd, holdS }) {
  const yaml = [
    'node: { name: d1 }',
    `services: [{ name: web, vip: ${VIP}, port: 80 }]`,
    'bgp:',
    '  local_as: 65001',
    `  router_id: ${DIRECTOR}`,
    `  hold_time: ${holdS}s`,
    '  bfd: { interval: 100ms, multiplier: 3 }',
    `  peers: [{ name: edge, address: ${ROUTER}, as: 65000, bfd: ${bfd} }]`,
    '',
  ].join('\n');
  const loaded = parseConfigText(yaml, 'bench.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  return birdConfig(loaded.config.bgp, { families: [4] });
}

function routerBirdConf({ bfd, holdS }) {
  return [
    `router id ${ROUTER};`,
    'protocol device {}',
    'protocol kernel { merge paths on; ipv4 { import none; export all; }; }',
    'protocol bfd { interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }',
    `protocol bgp d1 { local ${ROUTER} as 65000; neighbor ${DIRECTOR} as 65001; hold time ${holdS}; ${bfd ? 'bfd on;' : ''} ipv4 { import all; export none; }; }`,
    '',
  ].join('\n');
}

const routed = () => ip(ns.router, '-j', 'route', 'show', `${VIP}/32`).includes(DIRECTOR);

/** ms from `act()` until the router stops routing the VIP via the director. */
async function untilWithdrawn(act, limitMs) {
  const start = performance.now();
  act();
  for (let i = 0; i < 20_000; i++) {
    if (!routed()) return performance.now() - start;
    if (performance.now() - start > limitMs) break;
    await sleep(2);
  }
  throw new Error(`still routed after ${limitMs} ms`);
}

async function round(kind) {
  const opts = kind === 'hold-timer' ? { bfd: false, holdS: 3 } : { bfd: true, holdS: 30 };
  const dir = path.join(lab.work, `${kind}-${performance.now().toFixed(0)}`);
  const conf = (name, text) => {
    const file = `${dir}-${name}.conf`;
    writeFileSync(file, text);
    return file;
  };
  const router = lab.spawnIn(ns.router, 'bird', ['-f', '-c', conf('router', routerBirdConf(opts)), '-s', `${dir}-router.ctl`]);
  const director = lab.spawnIn(ns.d1, 'bird', ['-f', '-c', conf('d1', directorBirdConf(opts)), '-s', `${dir}-d1.ctl`]);
  try {
    ip(ns.d1, 'route', 'replace', 'blackhole', `${VIP}/32`, 'table', '100', 'proto', '250');
    await waitFor('the router to learn the VIP', routed, 30_000);
    if (kind === 'withdraw') {
      const ms = await untilWithdrawn(() => ip(ns.d1, 'route', 'del', `${VIP}/32`, 'table', '100', 'proto', '250'), 10_000);
      return ms;
    }
    return await untilWithdrawn(() => process.kill(director.child.pid, 'SIGSTOP'), 20_000);
  } finally {
    for (const p of [director, router]) {
      process.kill(p.child.pid, 'SIGKILL');
      await p.exited;
    }
    ip(ns.d1, 'route', 'flush', 'table', '100');
  }
}

const cases = [
  ['withdraw', 'lvsd withdraws (route deleted) -> router drops it'],
  ['bfd', 'director silent, BFD 100 ms x 3 -> router drops it'],
  ['hold-timer', 'director silent, no BFD, hold time 3 s -> router drops it'],
];
const results = new Map(cases.map(([k]) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [kind] of cases) results.get(kind).push(await round(kind));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
console.log(`BGP withdraw seen at the router's kernel route, ms over ${rounds} rounds (median min max)`);
for (const [kind, label] of cases) {
  const xs = results.get(kind);
  console.log(`  ${label.padEnd(62)} ${[median(xs), Math.min(...xs), Math.max(...xs)].map((n) => n.toFixed(0).padStart(6)).join(' ')}`);
}
