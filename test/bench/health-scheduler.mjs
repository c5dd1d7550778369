// The health pipeline without the network: scheduler + monitor + state machine driving a checker
// that answers at once, so the number is lvsd's own cost per probe, free of kernel and listener.
//   npx tsc -p tsconfig.json && node test/bench/health-scheduler.mjs [jobs=20000] [seconds=5] [interval_ms=1000]
import { readFileSync } from 'node:fs';
import { guarded } from '../../dist/health/checkers/probe.js';
import { HealthMonitor } from '../../dist/health/monitor.js';

const jobs = Number(process.argv[2] ?? 20_000);
const seconds = Number(process.argv[3] ?? 5);
const interval = Number(process.argv[4] ?? 1000);

// Through `guarded`, like the real checkers: own timeout timer and abort listener included.
const checker = (_target, spec, signal) => guarded(signal, spec.timeout, async () => ({ ok: true, reason: 'ok' }));
const lateness = [];
let measuring = false;
const monitor = new HealthMonitor({ checker, onLateness: (ms) => measuring && lateness.push(ms) });
const check = { type: 'tcp', interval, timeout: 500, rise: 2, fall: 3, warmup: 0 };
monitor.update(Array.from({ length: jobs }, (_, i) => ({ service: 'bench', address: '198.19.0.2', port: 1 + (i % 65535), check: { ...check, port: 1 + i } })));
monitor.start();
await new Promise((r) => setTimeout(r, interval + 500));

const runQueueWaitNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);
const before = monitor.stats().completed;
const cpu0 = process.cpuUsage();
const wait0 = runQueueWaitNs();
const t0 = performance.now();
measuring = true;
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const probes = monitor.stats().completed - before;
const waited = (runQueueWaitNs() - wait0) / 1e9;
monitor.stop();

const sorted = lateness.sort((a, b) => a - b);
const pct = (p) => Number((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN).toFixed(2));
console.log(
  JSON.stringify(
    {
      jobs,
      interval_ms: interval,
      probes_per_s: Math.round(probes / wall),
      cpu_us_per_probe: Number((((cpu.user + cpu.system) / probes)).toFixed(1)),
      waiting_for_cpu_percent: Number(((waited / wall) * 100).toFixed(1)),
      lateness_ms: { p50: pct(50), p99: pct(99), max: pct(100) },
    },
    null,
    2,
  ),
);
