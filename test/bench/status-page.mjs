// The status page's cost at scale (from dist/): what a poll of /status.json costs the daemon's
// main thread at 10,000 services x 4 real servers, beside what `lvsd status` ships (the whole
// report as JSON, which the page would otherwise have to fetch and parse every 2 s).
//   node test/bench/status-page.mjs [services] [runs]
// Per run: the report built from an IPVS snapshot in memory (statusReport, what `lvsd status`
// computes too), the page's index of it (once per report, at most once a second), then one
// request: the first page, a filter, "problems only". Median (min-max) of the runs.
import { performance } from 'node:perf_hooks';
import { parseConfigText } from '../../dist/config/load.js';
import { configuredIpvs } from '../../dist/ipvs/desired.js';
import { statusReport } from '../../dist/daemon/status.js';
import { StatusIndex, parseQuery } from '../../dist/web/status-view.js';

const services = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 7);
const PER_SERVICE = 4;

/** Services on VIPs from 198.18.4.0, 100 ports each; real servers 198.19.x.y, one in 97 down. */
function configText() {
  const lines = ['node: { name: bench }', 'services:'];
  for (let i = 0; i < services; i++) {
    lines.push(`  - { name: s${i}, vip: 198.18.${4 + (i >> 8) % 200}.${i & 0xff}, port: ${1000 + Math.floor(i / 51200)}, protocol: tcp, scheduler: wrr, forwarding: nat,`);
    lines.push('      check: { type: tcp }, real_servers: [');
    for (let d = 0; d < PER_SERVICE; d++) lines.push(`        { address: 198.19.${(i * PER_SERVICE + d) >> 8 & 0xff}.${(i * PER_SERVICE + d) & 0xff}, port: ${2000 + d} },`);
    lines.push('      ] }');
  }
  return `${lines.join('\n')}\n`;
}

const stats = { conns: 12345n, inPackets: 987654n, outPackets: 0n, inBytes: 123456789n, outBytes: 0n, cps: 10, inPps: 100, outPps: 0, inBps: 10000, outBps: 0 };

const loaded = parseConfigText(configText(), 'bench.yaml');
if (!loaded.ok) throw new Error(loaded.errors.slice(0, 3).map((e) => e.message).join('\n'));
const { config } = loaded;
const kernel = {
  services: configuredIpvs(config.services).services.map((s) => ({
    service: { ...s.service, stats },
    destinations: s.destinations.map((d) => ({ ...d, activeConns: 3, inactiveConns: 7, persistentConns: 0, stats })),
  })),
};
const health = config.services.flatMap((s, i) =>
  s.real_servers.map((rs, d) => ({ service: s.name, realServer: `${rs.address}:${rs.port}`, state: { up: (i * PER_SERVICE + d) % 97 !== 0, pending: false, since: 0, reason: 'connected' } })),
);

const time = (fn) => {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
};
const timeAsync = async (fn) => {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
};

const rows = { report: [], index: [], firstPage: [], filter: [], problems: [], full: [] };
let sizes = {};
for (let r = 0; r < runs; r++) {
  const report = await timeAsync(() =>
    statusReport({ config, configHash: 'bench', vrrp: [], health, overrides: [], drains: [], quorum: () => true, kernel: async () => kernel }),
  );
  const index = time(() => new StatusIndex(report.value, Date.now()));
  const firstPage = time(() => JSON.stringify(index.value.view(parseQuery(new URLSearchParams('')))));
  const filter = time(() => JSON.stringify(index.value.view(parseQuery(new URLSearchParams('q=198.19.100.')))));
  const problems = time(() => JSON.stringify(index.value.view(parseQuery(new URLSearchParams('problems=1')))));
  const full = time(() => JSON.stringify(report.value));
  rows.report.push(report.ms);
  rows.index.push(index.ms);
  rows.firstPage.push(firstPage.ms);
  rows.filter.push(filter.ms);
  rows.problems.push(problems.ms);
  rows.full.push(full.ms);
  sizes = { firstPage: firstPage.value.length, filter: filter.value.length, problems: problems.value.length, full: full.value.length };
}

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const f = (x) => x.toFixed(1);
  return `${f(s[Math.floor(s.length / 2)])} (${f(s[0])}-${f(s[s.length - 1])})`;
};
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`status page at ${services} services x ${PER_SERVICE} real servers, ${runs} runs: ms median (min-max)`);
console.log('| step | when | ms | JSON |');
console.log('| --- | --- | --- | --- |');
console.log(`| report (statusReport, as \`lvsd status\`) | at most once a second while a page polls | ${stat(rows.report)} | |`);
console.log(`| page index of the report | with the report | ${stat(rows.index)} | |`);
console.log(`| /status.json first 50 services | per request | ${stat(rows.firstPage)} | ${kib(sizes.firstPage)} |`);
console.log(`| /status.json filtered (q=198.19.100.) | per request | ${stat(rows.filter)} | ${kib(sizes.filter)} |`);
console.log(`| /status.json problems only | per request | ${stat(rows.problems)} | ${kib(sizes.problems)} |`);
console.log(`| peer: the whole report as JSON (\`lvsd status --json\`) | per request, if the page shipped all | ${stat(rows.full)} | ${kib(sizes.full)} |`);
