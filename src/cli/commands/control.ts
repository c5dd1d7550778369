// Commands that talk to the running daemon over its control socket.
import type { Command } from 'commander';
import { callDaemon, ControlError, DEFAULT_CONTROL_SOCKET } from '../control-client.js';
import type { ControlMethod, ControlParams, ControlResult } from '../../daemon/control-methods.js';
import { formatStatus } from '../format-status.js';
import { NODE_ENV } from '../node-option.js';

export interface SocketOption {
  socket: string;
}

export const socketOption = (cmd: Command): Command => cmd.option('-s, --socket <path>', 'the daemon\'s control socket', DEFAULT_CONTROL_SOCKET);

/** Runs one call, prints its result with `show`, and turns failures into exit code 1. */
export async function call<M extends ControlMethod>(opts: SocketOption, method: M, params: ControlParams<M>, show: (result: ControlResult<M>) => string): Promise<void> {
  try {
    process.stdout.write(`${show(await callDaemon(opts.socket, method, params))}\n`);
  } catch (err) {
    process.stderr.write(`lvsd ${method}: ${err instanceof ControlError ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

export const json = (result: unknown): string => JSON.stringify(result, null, 2);

export function registerControlCommands(program: Command): void {
  socketOption(
    program
      .command('status')
      .summary('show VRRP state, services, real servers and their health')
      .description('Show each VRRP instance (state, priority, master) and each service with its real servers: health, weight, connections and rates, read fresh from the kernel.')
      .option('--json', 'print the full status as JSON'),
  ).action((opts: SocketOption & { json?: boolean }) => call(opts, 'status', {}, (r) => (opts.json ? json(r) : formatStatus(r))));

  socketOption(
    program
      .command('failover [instance]')
      .summary('move VRRP mastership: step down (default) or --take over')
      .description(
        'Manual failover. Without --take, a master instance sends priority 0 and stays backup for the hold time so the peer takes over within Skew_Time. ' +
          'With --take, this node becomes master now. Without an instance name, every instance (sync groups move together).',
      )
      .option('--take', 'make this node master instead of stepping down'),
  ).action((instance: string | undefined, opts: SocketOption & { take?: boolean }) =>
    call(opts, 'failover', { ...(instance ? { instance } : {}), take: opts.take === true }, json),
  );

  socketOption(
    program
      .command('drain <service> [realServer]')
      .summary('set a real server (or every real server of a service) to weight 0')
      .description('Drain: existing connections finish, new ones go elsewhere. Kept until "lvsd enable". realServer is address or address:port.'),
  ).action((service: string, realServer: string | undefined, opts: SocketOption) => call(opts, 'drain', { service, ...(realServer ? { realServer } : {}) }, json));

  socketOption(
    program
      .command('disable <service> [realServer]')
      .summary('take a real server out of IPVS (or drain a whole service)')
      .description('Disable a real server: it is removed from the service until "lvsd enable". With only a service, every real server is drained.'),
  ).action((service: string, realServer: string | undefined, opts: SocketOption) => call(opts, 'disable', { service, ...(realServer ? { realServer } : {}) }, json));

  socketOption(
    program
      .command('enable <service> [realServer]')
      .summary('clear a drain/disable so health checks decide again')
      .description('Clear an operator override. With --force the real server is kept in service at its configured weight whatever its checks say.')
      .option('--force', 'keep it in service even when its checks fail'),
  ).action((service: string, realServer: string | undefined, opts: SocketOption & { force?: boolean }) =>
    call(opts, 'enable', { service, ...(realServer ? { realServer } : {}), force: opts.force === true }, json),
  );

  socketOption(
    program
      .command('drain-node')
      .summary('BGP mode: withdraw every VIP for planned maintenance (--undo announces them again)')
      .description(
        'Planned maintenance of a director in BGP mode: every VIP is withdrawn from the router, which moves the flows to the other directors ' +
          '(with the mh scheduler and flow takeover they keep their real servers, so established connections carry on); the services stay in IPVS for packets still on their way. ' +
          'Stop lvsd once it returns. Not kept across a restart: a started lvsd announces again.',
      )
      .option('--undo', 'end the maintenance: announce the VIPs whose services are up again'),
  ).action((opts: SocketOption & { undo?: boolean }) =>
    call(opts, 'drain-node', { undo: opts.undo === true }, (res) => {
      return res.maintenance ? 'node drained: every VIP withdrawn; existing connections continue through the other directors' : `node back in service: announcing ${res.announced.join(', ') || 'nothing (no service is up)'}`;
    }),
  );

  socketOption(
    program
      .command('reload')
      .summary('re-read the config file; a bad file changes nothing')
      .description(
        'Ask the daemon to re-read its config file (as SIGHUP does). Errors are printed as file:line:col and the running configuration stays. ' +
          'A reload that would remove more than ipvs.max_removal_percent of the managed services is refused unless --force.',
      )
      .option('--force', 'apply even when it removes more than ipvs.max_removal_percent of the managed services')
      .option('--node <name>', `refuse unless the daemon runs as this node (default: $${NODE_ENV}); a reload keeps the node the daemon started as`),
  ).action(async (opts: SocketOption & { force?: boolean; node?: string }) => {
    const node = opts.node ?? (process.env[NODE_ENV] || undefined);
    await call(opts, 'reload', { force: opts.force === true, ...(node !== undefined ? { node } : {}) }, (res) => {
      if (res.ok) return res.changed ? `reloaded: config ${res.hash} applied` : `reloaded: config ${res.hash} unchanged`;
      process.exitCode = 1;
      return `reload rejected, the running configuration stays:\n${res.errors.join('\n')}`;
    });
  });
}
