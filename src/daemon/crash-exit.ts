// What `lvsd run` does with an error nobody caught (issue 10 §2): log it, release what the
// daemon holds on the network (the VRRP thread sends priority 0 and removes the VIPs), and exit
// non-zero so systemd restarts it. Carrying on after an uncaught exception would run a daemon
// in an unknown state; exiting without releasing would leave the VIPs on a node that no longer
// answers for them until the peer's Master_Down_Interval runs out.
import type { Logger } from './log.js';

/** The release gets this long; then the process exits regardless. */
const RELEASE_TIMEOUT_MS = 5_000;

const releasers = new Set<() => Promise<void>>();

/**
 * Registers what must be released before a crashed process exits. Returns the function that
 * removes it again (after a graceful stop, say).
 */
export function releaseOnCrash(release: () => Promise<void>): () => void {
  releasers.add(release);
  return () => releasers.delete(release);
}

/** Installs the process-wide handlers. Once per process, by the command that runs the daemon. */
export function exitOnCrash(log: Logger): void {
  let crashing = false;
  const crash = (err: unknown, origin: string): void => {
    if (crashing) {
      log.error({ err }, `${origin} while exiting after a crash`);
      return;
    }
    crashing = true;
    log.fatal({ err }, `${origin}: releasing the VIPs and exiting`);
    setTimeout(() => process.exit(1), RELEASE_TIMEOUT_MS);
    void Promise.allSettled([...releasers].map((release) => release())).then(() => process.exit(1));
  };
  process.on('uncaughtException', (err) => crash(err, 'uncaught exception'));
  process.on('unhandledRejection', (reason) => crash(reason, 'unhandled rejection'));
}
