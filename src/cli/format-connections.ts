// `lvsd connections` as text: the totals per state, one line per real server with its states,
// then the clients holding the most connections. Columns are padded to their widest value.
import type { ConnectionReport, CountedName } from '../ipvs/connections.js';

const states = (list: readonly CountedName[]): string => list.map((s) => `${s.name} ${s.count}`).join(', ');

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  // Numbers (every column but the first and the last) are right-aligned.
  return rows.map((r) => r.map((cell, i) => (i === 0 || i === r.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd());
}

export function formatConnections(report: ConnectionReport, scope: string): string {
  const out = [`${report.total} connection(s) ${scope}`];
  if (report.total > 0) {
    out.push(`by state: ${states(report.byState)}`, '');
    out.push(...table([['real server', 'total', 'by state'], ...report.byRealServer.map((r) => [r.realServer, String(r.total), states(r.byState)])]), '');
    out.push(`top clients (${report.topClients.length} of ${report.distinctClients}):`);
    out.push(...table([['client', 'connections', ''], ...report.topClients.map((c) => [c.name, String(c.count), ''])]));
  }
  if (report.unreadLines > 0) out.push(`${report.unreadLines} line(s) of the table were not understood and are not counted`);
  return out.join('\n');
}
