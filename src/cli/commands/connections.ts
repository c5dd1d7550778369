// `lvsd connections [SERVICE]`: the kernel's connection table summarised (per state, per real
// server, top clients), read straight from the kernel so it works with the daemon stopped.
// SERVICE is a service name from the config, or a virtual address with an optional port and
// protocol as ipvsadm writes them ("198.18.0.100:80", "udp [2001:2::53]:53", "198.18.0.100").
import type { Command } from 'commander';
import { hostPort, parseHostPort, parseIp } from '../../net/address.js';
import { DEFAULT_CONFIG_PATH } from '../../config/paths.js';
import type { ConnectionFilter } from '../../ipvs/connections.js';

interface ConnectionsOptions {
  config: string;
  top: string;
  json?: boolean;
}

/** A filter from an address form, or undefined when `text` is not one (then it names a service). */
export function filterFromAddress(text: string): ConnectionFilter | undefined {
  const m = /^(?:(tcp|udp|sctp)\s+)?(.+)$/i.exec(text.trim());
  const protocol = m?.[1]?.toUpperCase();
  const rest = m?.[2] ?? '';
  const hostPort = parseHostPort(rest);
  if (hostPort) return { vip: hostPort.address, vport: hostPort.port, ...(protocol ? { protocol } : {}) };
  const ip = parseIp(rest.replace(/^\[(.*)\]$/, '$1'));
  return ip ? { vip: ip.address, vport: 0, ...(protocol ? { protocol } : {}) } : undefined;
}

async function filterFromConfig(name: string, file: string): Promise<ConnectionFilter> {
  const { formatIssue, loadConfigFile } = await import('../../config/load.js');
  const result = await loadConfigFile(file);
  if (!result.ok) throw new Error(`${result.errors.map(formatIssue).join('\n')}\n${file}: cannot look up service "${name}" in a rejected configuration`);
  const service = result.config.services.find((s) => s.name === name);
  if (!service) throw new Error(`no service "${name}" in ${file} (name a service, or give VIP[:PORT])`);
  if (service.fwmark !== undefined) {
    throw new Error(`service "${name}" matches fwmark ${service.fwmark}: the connection table has no marks; give the address clients connect to instead (VIP[:PORT])`);
  }
  return { vip: service.vip, vport: service.port, protocol: service.protocol.toUpperCase() };
}

/** "in the IPVS table", "to tcp 198.18.0.100:80", or "to web (tcp 198.18.0.100:80)" for a named service. */
function scopeOf(service: string | undefined, filter: ConnectionFilter | undefined): string {
  if (service === undefined || filter === undefined) return 'in the IPVS table';
  const target = `${filter.protocol ? `${filter.protocol.toLowerCase()} ` : ''}${filter.vport ? hostPort({ address: filter.vip, port: filter.vport }) : filter.vip}`;
  return target === service ? `to ${target}` : `to ${service} (${target})`;
}

export function registerConnectionsCommand(program: Command): void {
  program
    .command('connections [service]')
    .summary("summarise the kernel's IPVS connection table")
    .description(
      'Count the kernel\'s IPVS connections per state, per real server and per client (what `ipvsadm -Lnc | awk | uniq -c` is used for), for every service ' +
        'or one: a service name from the config, or VIP[:PORT] with an optional protocol ("udp 198.18.0.53:53"). Reads the kernel directly; the daemon need not run.',
    )
    .option('-c, --config <file>', 'configuration file, to look up a service by name', DEFAULT_CONFIG_PATH)
    .option('--top <n>', 'how many of the busiest clients to list', '10')
    .option('--json', 'print the summary as JSON')
    .action(async (service: string | undefined, opts: ConnectionsOptions) => {
      try {
        const top = Number(opts.top);
        if (!Number.isInteger(top) || top < 0) throw new Error(`--top: expected a whole number, got "${opts.top}"`);
        const filter = service === undefined ? undefined : (filterFromAddress(service) ?? (await filterFromConfig(service, opts.config)));
        const [{ ConnectionSummary }, { ipvsConnectionTableLines }, { formatConnections }] = await Promise.all([
          import('../../ipvs/connections.js'),
          import('../../kernel/ipvs-conn-table.js'),
          import('../format-connections.js'),
        ]);
        const summary = new ConnectionSummary(filter);
        for await (const line of ipvsConnectionTableLines()) summary.addLine(line);
        const report = summary.report(top);
        process.stdout.write(`${opts.json ? JSON.stringify(report, null, 2) : formatConnections(report, scopeOf(service, filter))}\n`);
      } catch (err) {
        process.stderr.write(`lvsd connections: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
    });
}
