// `lvsd status` for people: VRRP instances, then each service with its real servers in the
// layout operators know from `ipvsadm -Ln --rate`, then BGP (announced VIPs, BIRD's sessions).
// A removal still draining says so, with its active connections in their usual column and the
// time left until it is deleted regardless.
import type { DrainReport, RealServerReport, StatusReport } from '../daemon/status.js';

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

/** "4m10s left": whole seconds, largest units first. */
function left(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''} left`;
}

const drainingText = (d: DrainReport): string => `draining, ${left(d.secondsLeft)}`;

function stateText(rs: RealServerReport): string {
  if (!rs.inConfig) return rs.draining ? `removed, ${drainingText(rs.draining)}` : 'removed';
  const parts: string[] = [rs.health];
  if (rs.healthSince && rs.health !== 'unchecked') parts.push(`for ${ago(rs.healthSince)}`);
  if (rs.reason && rs.health !== 'unchecked') parts.push(`(${rs.reason})`);
  if (rs.agent) parts.push(`agent: ${rs.agent}`);
  if (rs.override) parts.push(`override: ${rs.override}${rs.overrideSource ? ` (${rs.overrideSource}${rs.overrideSource === 'peer' && rs.overrideNode ? ` ${rs.overrideNode}` : ''})` : ''}`);
  if (rs.draining) parts.push(drainingText(rs.draining));
  return parts.join(' ');
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
    const flags = [
      s.activeOn && !s.activeOn.active ? `inactive (${s.activeOn.state})` : s.inKernel ? '' : 'NOT IN KERNEL',
      s.disabled ? 'disabled' : '',
      s.quorumMet === false ? 'QUORUM LOST' : '',
      !s.inConfig ? `removed, ${s.draining ? drainingText(s.draining) : 'draining'}` : '',
    ].filter(Boolean);
    out.push(`${s.match} ${s.scheduler}${s.inConfig ? `  (${s.name})` : ''}${flags.length ? `  [${flags.join(', ')}]` : ''}`);
    out.push(
      ...table(
        [
          ['-> REAL SERVER', 'FORWARD', 'WEIGHT', 'ACTIVE', 'INACTIVE', 'CPS', 'IN B/s', 'OUT B/s', 'HEALTH'],
          ...s.realServers.map((rs) => [
            `-> ${rs.server}${rs.name ? ` (${rs.name})` : ''}${rs.sorry ? ' (sorry)' : ''}`,
            rs.forwarding,
            rs.weight === null ? `-/${rs.configuredWeight}` : rs.inConfig ? `${rs.weight}/${rs.configuredWeight}` : `${rs.weight}/-`,
            String(rs.activeConnections),
            String(rs.inactiveConnections),
            rate(rs.connectionsPerSecond),
            rate(rs.bytesInPerSecond),
            rate(rs.bytesOutPerSecond),
            stateText(rs),
          ]),
        ],
        '  ',
      ),
    );
    for (const c of s.runtimeChanges ?? []) {
      out.push(`  runtime ${c.change === 'add' ? '+' : '-'} ${c.server}${c.weight !== undefined ? ` weight ${c.weight}` : ''} (lvsd ${c.change}-server on ${c.node}, ${ago(c.at)} ago; not in the config file)`);
    }
  }
  if (r.unmanaged.length > 0) out.push('', `unmanaged kernel services (left alone): ${r.unmanaged.join(', ')}`);
  if (r.bgp) out.push('', ...formatBgp(r.bgp));
  if (r.peer) out.push('', ...formatPeer(r.peer));
  if (r.names) out.push('', ...formatNames(r.names));
  return out.join('\n');
}

/** Real servers given by DNS name: what each name gives, and how its last lookup went. */
function formatNames(names: NonNullable<StatusReport['names']>): string[] {
  const lookup = (n: (typeof names)[number]): string => {
    if (!n.lastLookup) return 'not asked yet';
    const last = `${n.lastLookup.outcome}${n.lastLookup.detail ? ` (${n.lastLookup.detail})` : ''} ${ago(n.lastLookup.at)} ago`;
    if (n.expired) return `${last}; FAILING since ${ago(n.failingSince)} ago, hold passed: addresses dropped`;
    if (n.failingSince) return `${last}; FAILING since ${ago(n.failingSince)} ago, addresses held until ${n.holdUntil ?? '?'}`;
    return last;
  };
  const uses = (n: (typeof names)[number]): string =>
    n.uses.map((u) => `${u.service}${u.discover ? ' (discover)' : ''}${u.leaving.length ? ` keeping ${u.leaving.join(', ')} until the new one is up` : ''}`).join(', ');
  return ['NAMES', ...table([['NAME', 'ADDRESSES', 'USED BY', 'LAST LOOKUP'], ...names.map((n) => [n.name, n.addresses.join(', ') || '-', uses(n), lookup(n)])], '  ')];
}

function formatBgp(b: NonNullable<StatusReport['bgp']>): string[] {
  const out = [`BGP (kernel table ${b.table})${b.maintenance ? ': NODE DRAINED (lvsd drain-node), every VIP withdrawn' : ''}`];
  const state = (vip: string): string => (b.announced.includes(vip) ? 'announced' : b.pending.includes(vip) ? 'PENDING (kernel error, retrying)' : 'withdrawn');
  out.push(...table([['VIP', 'STATE'], ...b.vips.map((vip) => [vip, state(vip)])], '  '));
  if (b.sessionsError) out.push(`  sessions: cannot ask BIRD: ${b.sessionsError}`);
  else out.push(...table([['PEER', 'STATE', 'SINCE', 'INFO'], ...b.sessions.map((s) => [s.peer, s.state, s.since, s.info])], '  '));
  const dotted = (key: string): string => key.replaceAll('/', '.');
  const set = b.sysctls.filter((c) => c.ok && c.have !== null).map((c) => `${dotted(c.key)}=${c.have}`);
  if (set.length > 0) out.push(`  flow takeover: ${set.join(', ')}`);
  for (const c of b.sysctls.filter((c) => !c.ok)) out.push(`  FLOW TAKEOVER: ${dotted(c.key)} is not ${c.want}: ${c.problem}`);
  return out;
}

function formatPeer(p: NonNullable<StatusReport['peer']>): string[] {
  const out = [`peer sync (listening on ${p.listen}, ${p.records} record(s), ${p.recordsApplied} applied from the peer)`];
  const when = (ms: number | null): string => (ms === null ? '-' : `${ago(new Date(ms).toISOString())} ago`);
  out.push(
    ...table(
      [
        ['PEER', 'NODE', 'TO PEER', 'LAST ACK', 'RTT', 'FROM PEER', 'LAST HEARD'],
        ...p.peers.map((s) => [s.address, s.node ?? '?', s.connected ? 'connected' : 'DOWN', when(s.lastAck), s.rttMs === null ? '-' : `${s.rttMs}ms`, s.inbound ? 'connected' : 'DOWN', when(s.lastReceived)]),
      ],
      '  ',
    ),
  );
  const dropped = Object.entries(p.dropped).filter(([, n]) => n > 0);
  if (dropped.length > 0 || p.connectionsRefused > 0) {
    out.push(`  dropped: ${[...dropped.map(([why, n]) => `${n} ${why}`), ...(p.connectionsRefused ? [`${p.connectionsRefused} connection(s) from unknown addresses`] : [])].join(', ')}`);
  }
  return out;
}
