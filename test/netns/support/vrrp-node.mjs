// Test-only host for the VRRP manager (built into dist/ by `npm run build`): runs one node's
// VRRP in the network namespace it was started in, reports state changes as JSON lines on
// stdout, and takes JSON commands on stdin. The busy loop lives here, in the process that hosts
// the manager, so no test hook exists in product code.
//   argv: <config.yaml>
//   stdout: {"event":"ready"} | {"event":"state","instance","state","reason","at"} | {"id","result"} | {"id","error"}
//   stdin:  {"id","cmd":"status"} | {"id","cmd":"reload","path"} | {"id","cmd":"failover","instance","mode","holdMs"}
//           | {"id","cmd":"busy","busyMs","everyMs","forMs"} | {"id","cmd":"stop"}
import { loadConfigFile, formatIssue } from '../../../dist/config/load.js';
import { createLogger } from '../../../dist/daemon/log.js';
import { VrrpManager } from '../../../dist/daemon/vrrp-manager.js';
import { print, serveCommands } from './stdio-commands.mjs';


async function load(path) {
  const loaded = await loadConfigFile(path);
  if (!loaded.ok) throw new Error(loaded.errors.map(formatIssue).join('\n'));
  return loaded.config;
}

/** Blocks the event loop for busyMs every everyMs, for forMs; resolves with how many times. */
function busyLoop(busyMs, everyMs, forMs) {
  return new Promise((resolve) => {
    let count = 0;
    const end = performance.now() + forMs;
    const timer = setInterval(() => {
      if (performance.now() >= end) {
        clearInterval(timer);
        resolve({ stalls: count });
        return;
      }
      const until = performance.now() + busyMs;
      while (performance.now() < until);
      count++;
    }, everyMs);
  });
}

const log = createLogger({ level: process.env.LVSD_TEST_LOG_LEVEL ?? 'info', pretty: false });
const manager = await VrrpManager.start(await load(process.argv[2]), { log });
manager.onStateChange((instance, state, reason) => print({ event: 'state', instance, state, reason, at: Date.now() }));

let stopping;
const stop = () => {
  stopping ??= manager.stop().then(() => process.exit(0));
  return stopping;
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

const commands = {
  status: () => ({ instances: manager.status(), syncGroups: manager.syncGroups(), sockets: manager.sockets() }),
  reload: async (c) => manager.reload(await load(c.path)),
  failover: (c) => manager.failover(c.instance, c.mode, c.holdMs),
  busy: (c) => busyLoop(c.busyMs, c.everyMs, c.forMs),
  stop: () => stop(),
};

serveCommands(commands);
