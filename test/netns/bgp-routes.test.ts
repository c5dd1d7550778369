// The kernel side of BGP mode: HostRouteTable adds, lists and removes lvsd's VIP routes
// (blackhole host routes with protocol 250) in one table of a namespace, idempotently, and
// leaves every other route alone: another protocol's, another table's, another prefix length.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LVSD_ROUTE_PROTOCOL } from '../../src/bgp/types.js';
import { HostRouteTable } from '../../src/kernel/routes.js';
import { describeWith } from '../support/needs.js';
import { NetnsLab, type Netns } from '../support/netns.mjs';
import { inNetns } from '../../src/kernel/native.js';

describeWith(['root', 'netns'], 'HostRouteTable: lvsd VIP routes in a kernel table', () => {
  const lab = new NetnsLab('bgproutes');
  let ns: Netns;
  const tables: HostRouteTable[] = [];
  const open = (table: number) => {
    const t = inNetns(ns.path, () => HostRouteTable.open(table, LVSD_ROUTE_PROTOCOL));
    tables.push(t);
    return t;
  };

  beforeAll(() => {
    ns = lab.ns('a');
  });
  afterAll(async () => {
    for (const t of tables) t.close();
    await lab.cleanup();
  });

  it('adds and removes blackhole host routes of both families, idempotently', async () => {
    const t = open(100);
    await t.add('198.18.0.100');
    await t.add('198.18.0.100');
    await t.add('2001:2::100');
    expect((await t.list()).sort()).toEqual(['198.18.0.100', '2001:2::100']);
    expect(ns.ip('route', 'show', 'table', '100').trim()).toBe(`blackhole 198.18.0.100 proto ${LVSD_ROUTE_PROTOCOL}`);
    expect(ns.ip('-6', 'route', 'show', 'table', '100')).toMatch(new RegExp(`^blackhole 2001:2::100 dev lo proto ${LVSD_ROUTE_PROTOCOL}`));
    await t.remove('198.18.0.100');
    await t.remove('198.18.0.100');
    await t.remove('2001:2::100');
    expect(await t.list()).toEqual([]);
  });

  it('lists only its own routes: other protocols, tables and prefixes are left alone', async () => {
    ns.ip('route', 'add', 'blackhole', '198.18.0.101/32', 'table', '100', 'proto', 'static');
    ns.ip('route', 'add', 'blackhole', '198.18.0.102/32', 'table', '101', 'proto', String(LVSD_ROUTE_PROTOCOL));
    ns.ip('route', 'add', 'blackhole', '198.18.2.0/24', 'table', '100', 'proto', String(LVSD_ROUTE_PROTOCOL));
    const t = open(100);
    expect(await t.list()).toEqual([]);
    await t.add('198.18.0.103');
    expect(await t.list()).toEqual(['198.18.0.103']);
    await t.remove('198.18.0.103');
    expect(ns.ip('route', 'show', 'table', '100').trim().split('\n').map((l) => l.trim())).toEqual(['blackhole 198.18.0.101 proto static', `blackhole 198.18.2.0/24 proto ${LVSD_ROUTE_PROTOCOL}`]);
  });

  it('works with table numbers above 255 (RTA_TABLE)', async () => {
    const t = open(100_000);
    await t.add('198.18.0.100');
    expect(await t.list()).toEqual(['198.18.0.100']);
    expect(ns.ip('route', 'show', 'table', '100000').trim()).toBe(`blackhole 198.18.0.100 proto ${LVSD_ROUTE_PROTOCOL}`);
    expect(await open(100).list()).toEqual([]);
  });
});
