// Entry point of the VRRP worker thread (started by vrrp-thread.ts; not a module to import).
// Its log lines go to the main thread's logger, and an error nobody caught ends VRRP the safe
// way: priority 0 from every master, VIPs removed, every socket closed, exit code 1, after which
// the main thread exits too and systemd restarts the daemon.
// The thread ends by running out of work, not by process.exit(): netlink@0.3.0 sockets must be
// closed before the thread is torn down (one left open crashes the whole process with SIGSEGV),
// and even a closed one may still have a poll event queued, which aborts the process
// ("napi_define_properties") when process.exit() tears the thread down in the same turn. Only a
// stop that hangs past CRASH_STOP_MS ends it the hard way.
import { parentPort, workerData } from 'node:worker_threads';
import { scheduleThisThread } from '../kernel/thread-scheduling.js';
import { NetlinkVrrpKernel } from './vrrp-kernel.js';
import { relayedLogger, VrrpThreadHost } from './vrrp-thread-host.js';
import { VrrpThreadScheduling } from './vrrp-thread-scheduling.js';

/** What vrrp-thread.ts passes as workerData. */
export interface VrrpWorkerData {
  logLevel: string;
}

/** A crashed thread gives its stop this long (a hung netlink reply must not keep it alive). */
const CRASH_STOP_MS = 3_000;

const port = parentPort;
if (!port) throw new Error('vrrp-worker.js runs as a worker thread of lvsd run, not on its own');
const { logLevel } = workerData as VrrpWorkerData;

const log = relayedLogger(port, logLevel);

// Until the config says otherwise (on start), the thread runs at nice -10.
const scheduling = new VrrpThreadScheduling(scheduleThisThread, log);
scheduling.use(0);
const kernel = new NetlinkVrrpKernel();
/** Lets the thread end once its loop is empty: sockets closed, timers cleared. */
const end = (code: number): void => {
  process.exitCode = code;
  port.unref();
};
const host = new VrrpThreadHost(port, { log, kernel, exit: end, scheduling });
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
