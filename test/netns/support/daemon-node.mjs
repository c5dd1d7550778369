// Test-only host for the whole daemon (from dist/): runs `Daemon` in the network namespace it was
// started in, with the status page as `lvsd run` serves it and kernel IPVS replaced by MemoryIpvs
// (this host has no IPVS), and speaks the stdin/stdout protocol of vrrp-node.mjs so VrrpNode
// (vrrp-lab.ts) drives it.
//   argv: <config.yaml> [thread|main-thread|crash-main|crash-vrrp]
//     thread       VRRP in its worker thread, as `lvsd run` runs it
//     main-thread  VRRP served on the main thread (the control: what the worker thread avoids)
//     crash-main   as thread, with lvsd run's crash handlers; {"cmd":"throw"} throws on the main thread
//     crash-vrrp   as crash-main, with a VRRP thread that throws LVSD_TEST_VRRP_THROW_MS after it
//                  starts (vrrp-crash-worker.mjs)
//   env:  LVSD_NODE picks the node of a file with nodes:, as for lvsd run
//   stdout: {"event":"ready"} | {"event":"state",...} | {"id","result"} | {"id","error"}
//   stdin:  {"id","cmd":"status"} (with eth0's addresses when IPVS was first read) | {"id","cmd":"reload","path"}
//           | {"id","cmd":"read"} | {"id","cmd":"scrape"}
//           | {"id","cmd":"throw"} | {"id","cmd":"stop"}
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import { chooseNode } from '../../../dist/cli/node-option.js';
import { exitOnCrash } from '../../../dist/daemon/crash-exit.js';
import { Daemon } from '../../../dist/daemon/daemon.js';
import { createLogger } from '../../../dist/daemon/log.js';
import { relayedLogger, VrrpThreadHost } from '../../../dist/daemon/vrrp-thread-host.js';
import { VrrpThread } from '../../../dist/daemon/vrrp-thread.js';
import { statusPageRoutes } from '../../../dist/web/routes.js';
import { MemoryIpvs } from './memory-ipvs.mjs';
import { print, serveCommands } from './stdio-commands.mjs';

const [configPath, mode = 'thread'] = process.argv.slice(2);
const log = createLogger({ level: process.env.LVSD_TEST_LOG_LEVEL ?? 'info', pretty: false });
if (mode.startsWith('crash')) exitOnCrash(log);

let vrrp;
const startVrrp = (l) => {
  if (mode === 'main-thread') {
    const { port1, port2 } = new MessageChannel();
    new VrrpThreadHost(port2, { log: relayedLogger(port2, l.level), exit: () => port2.close() });
    vrrp = VrrpThread.connect(port1, l);
  } else {
    vrrp = mode === 'crash-vrrp' ? VrrpThread.spawn(l, new URL('./vrrp-crash-worker.mjs', import.meta.url)) : VrrpThread.spawn(l);
  }
  vrrp.onStateChange((instance, state, reason) => print({ event: 'state', instance, state, reason, at: Date.now() }));
  return vrrp;
};
const ipvs = new MemoryIpvs();
/** The addresses on eth0 when IPVS was first read (adoption): leftover VIPs must be gone by then. */
let addressesAtFirstRead;
ipvs.onRead = () => {
  addressesAtFirstRead ??= execFileSync('ip', ['-o', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
};
const daemon = await Daemon.start({ configPath, node: chooseNode(undefined, 'host name'), log, openIpvs: async () => ipvs, startVrrp, routes: (status) => statusPageRoutes(status) });
const { config } = daemon;

let stopping;
const stop = () => {
  stopping ??= daemon.stop().then(() => process.exit(0));
  return stopping;
};
process.on('SIGTERM', stop);

const commands = {
  status: async () => ({ instances: await vrrp.status(), addressesAtFirstRead }),
  /** The config file is the daemon's; a reload copies the new one over it. */
  reload: async (c) => {
    copyFileSync(c.path, configPath);
    return daemon.reload();
  },
  /** `lvsd status`: the whole IPVS table read back and reported. */
  read: async () => ({ services: (await daemon.status()).services.length, reads: ipvs.reads }),
  /** A Prometheus scrape: reads the IPVS stats of every service and real server. */
  scrape: async () => {
    const text = await (await fetch(`http://${config.metrics.listen}/metrics`)).text();
    return { loopDelay: text.split('\n').filter((l) => l.startsWith('lvsd_event_loop_delay_seconds')), bytes: text.length };
  },
  throw: () => {
    setTimeout(() => {
      throw new Error('injected failure on the main thread');
    }, 0);
    return null;
  },
  stop: () => stop(),
};

serveCommands(commands);
