// `lvsd status` for people: VRRP instances, then each service with its real servers in the
// layout operators know from `ipvsadm -Ln --rate`, then BGP (announced VIPs, BIRD's sessions).
import type { StatusReport } from '../daemon/status.js';

function table(rows: string[][], indent = ''): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) => `${indent}${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd());
}

function rate(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

function ago(iso: string | null): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

export function formatStatus(r: StatusReport): string {
  const out = [`node ${r.node}, config ${r.configHash}`, ''];
  if (r.vrrp.length === 0) out.push('VRRP: no instances');
  else {
    out.push('VRRP');
    out.push(
      ...table(
        [
          ['INSTANCE', 'STATE', 'PRIO', 'EFFECTIVE', 'MASTER', 'ADVERTS OUT/IN', 'TRANSITIONS'],
          ...r.vrrp.map((v) => [
            v.name,
            v.state + (v.fault.tracking || v.fault.syncGroup ? ` (${v.fault.tracking ? 'tracking' : 'sync group'})` : ''),
            String(v.configuredPriority),
            String(v.priority),
            v.state === 'master' ? 'this node' : v.master ? `${v.master.address} (prio ${v.master.priority})` : 'none heard',
            `${v.counters.advertsSent}/${v.counters.advertsReceived}`,
            String(v.counters.transitions),
          ]),
        ],
        '  ',
      ),
    );
  }
  out.push('');
  if (r.services.length === 0) out.push('services: none');
  for (const s of r.services) {
    const flags = [s.inKernel ? '' : 'NOT IN KERNEL', s.disabled ? 'disabled' : '', s.quorumMet === false ? 'QUORUM LOST' : ''].filter(Boolean);
    out.push(`${s.match} ${s.scheduler}  (${s.name})${flags.length ? `  [${flags.join(', ')}]` : ''}`);
    out.push(
      ...table(
        [
          ['-> REAL SERVER', 'FORWARD', 'WEIGHT', 'ACTIVE', 'INACTIVE', 'CPS', 'IN B/s', 'OUT B/s', 'HEALTH'],
          ...s.realServers.map((rs) => [
            `-> ${rs.server}${rs.sorry ? ' (sorry)' : ''}`,
            rs.forwarding,
            rs.weight === null ? `-/${rs.configuredWeight}` : `${rs.weight}/${rs.configuredWeight}`,
            String(rs.activeConnections),
            String(rs.inactiveConnections),
            rate(rs.connectionsPerSecond),
            rate(rs.bytesInPerSecond),
            rate(rs.bytesOutPerSecond),
            [rs.health, rs.healthSince && rs.health !== 'unchecked' ? `for ${ago(rs.healthSince)}` : '', rs.reason && rs.health !== 'unchecked' ? `(${rs.reason})` : '', rs.override ? `override: ${rs.override}` : '']
              .filter(Boolean)
              .join(' '),
          ]),
        ],
        '  ',
      ),
    );
  }
  if (r.unmanaged.length > 0) out.push('', `unmanaged kernel services (left alone): ${r.unmanaged.join(', ')}`);
  if (r.bgp) out.push('', ...formatBgp(r.bgp));
  return out.join('\n');
}

function formatBgp(b: NonNullable<StatusReport['bgp']>): string[] {
  const out = [`BGP (kernel table ${b.table})`];
  const state = (vip: string): string => (b.announced.includes(vip) ? 'announced' : b.pending.includes(vip) ? 'PENDING (kernel error, retrying)' : 'withdrawn');
  out.push(...table([['VIP', 'STATE'], ...b.vips.map((vip) => [vip, state(vip)])], '  '));
  if (b.sessionsError) out.push(`  sessions: cannot ask BIRD: ${b.sessionsError}`);
  else out.push(...table([['PEER', 'STATE', 'SINCE', 'INFO'], ...b.sessions.map((s) => [s.peer, s.state, s.since, s.info])], '  '));
  return out;
}
