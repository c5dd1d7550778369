// Entry point of the VRRP worker thread (started by vrrp-thread.ts; not a module to import).
// Its log lines go to the main thread's logger, and an error nobody caught ends VRRP the safe
// way: priority 0 from every master, VIPs removed, every socket closed, exit code 1, after which
// the main thread exits too and systemd restarts the daemon.
// The thread ends by running out of work, not by process.exit(): netlink@0.3.0 sockets must be
// closed before the thread is torn down (one left open crashes the whole process with SIGSEGV),
// and even a closed one may still have a poll event queued, which aborts the process
// ("napi_define_properties") when process.exit() tears the thread down in the same turn. Only a
// stop that hangs past CRASH_STOP_MS ends it the hard way.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { NetlinkVrrpKernel } from './vrrp-kernel.js';
import { relayedLogger, VrrpThreadHost } from './vrrp-thread-host.js';

/** What vrrp-thread.ts passes as workerData. */
export interface VrrpWorkerData {
  logLevel: string;
}

/**
 * Nice value of the VRRP thread. Its own event loop is not enough when the cores are busy: the
 * main thread's parsing and garbage collection (V8 marks and sweeps on helper threads) and other
 * processes compete for the CPU, and an advert timer that waits for a core is late all the same.
 * Measured on 2 cores at load 8: adverts up to 33 ms late at nice 0. keepalived raises its VRRP
 * process the same way (vrrp_priority).
 */
const VRRP_THREAD_NICE = -10;

/** A crashed thread gives its stop this long (a hung netlink reply must not keep it alive). */
const CRASH_STOP_MS = 3_000;

const port = parentPort;
if (!port) throw new Error('vrrp-worker.js runs as a worker thread of lvsd run, not on its own');
const { logLevel } = workerData as VrrpWorkerData;

const log = relayedLogger(port, logLevel);

// Linux keeps a nice value per thread: setpriority(PRIO_PROCESS, tid) changes this thread only.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  setPriority(tid, VRRP_THREAD_NICE);
} catch (err) {
  log.warn({ err }, `cannot raise the VRRP thread's priority (nice ${VRRP_THREAD_NICE}; needs CAP_SYS_NICE): adverts may be late while the CPU is busy`);
}
const kernel = new NetlinkVrrpKernel();
/** Lets the thread end once its loop is empty: sockets closed, timers cleared. */
const end = (code: number): void => {
  process.exitCode = code;
  port.unref();
};
const host = new VrrpThreadHost(port, { log, kernel, exit: end });
// Whatever ends the thread, the rtnetlink socket is closed first (the manager closes its own
// sockets on exit as well, see VrrpManager.onExit).
process.on('exit', () => kernel.close());

let crashing = false;
function crash(err: unknown, origin: string): void {
  if (crashing) {
    log.error({ err }, `VRRP thread: ${origin} while stopping`);
    return;
  }
  crashing = true;
  log.fatal({ err }, `VRRP thread: ${origin}; stepping down (priority 0, VIPs removed) and exiting`);
  const hung = setTimeout(() => process.exit(1), CRASH_STOP_MS);
  host.stop().then(
    () => undefined,
    (stopErr: unknown) => log.error({ err: stopErr }, 'VRRP thread: stopping after the crash failed'),
  ).finally(() => {
    clearTimeout(hung);
    end(1);
  });
}
process.on('uncaughtException', (err) => crash(err, 'uncaught exception'));
process.on('unhandledRejection', (reason) => crash(reason, 'unhandled rejection'));
