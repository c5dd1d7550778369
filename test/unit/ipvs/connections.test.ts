// The connection table summary: lines as the kernel prints them (IPv4 hex, IPv6 %pI6, mixed
// families, persistence templates with a PE), folded into per-state, per-real-server and
// per-client counts; a filter by virtual address, port and protocol.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConnectionSummary, parseConnectionLine } from '../../../src/ipvs/connections.js';

const table = readFileSync(new URL('../../fixtures/ipvs/ip_vs_conn.txt', import.meta.url), 'utf8').split('\n');
const summarise = (filter?: ConstructorParameters<typeof ConnectionSummary>[0], top = 10) => {
  const s = new ConnectionSummary(filter);
  for (const line of table) s.addLine(line);
  return s.report(top);
};

describe('parseConnectionLine', () => {
  it('decodes IPv4 hex addresses and ports', () => {
    expect(parseConnectionLine(table[1] ?? '')).toEqual({
      protocol: 'TCP', client: '198.18.0.2', clientPort: 0xd2f4, vip: '198.18.0.100', vport: 80,
      realServer: '198.18.1.11', realPort: 8080, state: 'ESTABLISHED', expiresSeconds: 899,
    });
  });

  it('decodes %pI6 addresses to canonical text, also when only the real server is IPv6', () => {
    expect(parseConnectionLine(table[6] ?? '')).toMatchObject({ client: '2001:2::2', vip: '2001:2::64', realServer: '2001:2::1:0:b', vport: 443 });
    expect(parseConnectionLine(table[7] ?? '')).toMatchObject({ client: '198.18.0.5', vip: '198.18.0.101', realServer: '2001:2::1:0:c' });
  });

  it('reads a line with persistence-engine columns', () => {
    expect(parseConnectionLine(table[8] ?? '')).toMatchObject({ vport: 0, state: 'NONE', expiresSeconds: 300 });
  });

  it('refuses the header and lines not shaped like a connection', () => {
    for (const bad of [table[0], 'this line is not a connection', 'TCP C612000Z D2F4 C6120064 0050 C612010B 1F90 ESTABLISHED 1', 'TCP C6120002 D2F4 C6120064 0050 C612010B 1F90 ESTABLISHED -1', '']) {
      expect(parseConnectionLine(bad ?? '')).toBeUndefined();
    }
  });
});

describe('ConnectionSummary', () => {
  it('counts every connection per state, per real server and per client', () => {
    const r = summarise();
    expect(r.total).toBe(8);
    expect(r.byState[0]).toEqual({ name: 'ESTABLISHED', count: 3 });
    expect(r.byRealServer[0]).toEqual({
      realServer: '198.18.1.11:8080', total: 3,
      byState: [{ name: 'ESTABLISHED', count: 1 }, { name: 'FIN_WAIT', count: 1 }, { name: 'TIME_WAIT', count: 1 }],
    });
    expect(r.topClients[0]).toEqual({ name: '198.18.0.2', count: 3 });
    expect(r.distinctClients).toBe(6);
    expect(r.unreadLines).toBe(1);
  });

  it('keeps only the connections to one virtual address, port and protocol', () => {
    const web = summarise({ vip: '198.18.0.100', vport: 80, protocol: 'TCP' });
    expect(web.total).toBe(4);
    expect(web.byRealServer.map((rs) => rs.realServer)).toEqual(['198.18.1.11:8080', '198.18.1.12:8080']);
    expect(summarise({ vip: '198.18.0.100', vport: 80, protocol: 'UDP' }).total).toBe(0);
    expect(summarise({ vip: '198.18.0.53', vport: 0 }).total).toBe(1);
  });

  it('lists at most --top clients, the busiest first, ties by address', () => {
    expect(summarise(undefined, 2).topClients).toEqual([{ name: '198.18.0.2', count: 3 }, { name: '198.18.0.3', count: 1 }]);
  });
});
