// The announcer against a fake kernel table: it brings the table to the wanted VIPs (withdrawing
// first), removes what a crashed run left, retries after a kernel error without throwing, and
// withdraws everything on stop.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BgpAnnouncer } from '../../../src/bgp/announcer.js';
import { FakeRoutes } from './fake-routes.js';

const log = { info: vi.fn(), warn: vi.fn() };

describe('BGP announcer', () => {
  afterEach(() => vi.useRealTimers());

  it('withdraws leftovers first, then announces', async () => {
    const routes = new FakeRoutes();
    routes.table.add('198.18.0.199');
    const a = new BgpAnnouncer(routes, log);
    await a.set(['198.18.0.100', '2001:2::100']);
    expect(routes.calls).toEqual(['list', 'remove 198.18.0.199', 'add 198.18.0.100', 'add 2001:2::100']);
    expect(a.state()).toEqual({ announced: ['198.18.0.100', '2001:2::100'], pending: [] });
    await a.set(['2001:2::100']);
    expect([...routes.table]).toEqual(['2001:2::100']);
  });

  it('changes asked for together are applied once, with the latest wish; one asked for during a run runs after it', async () => {
    const routes = new FakeRoutes();
    const a = new BgpAnnouncer(routes, log);
    const first = a.set(['198.18.0.100']);
    void a.set(['198.18.0.101']);
    const last = a.set(['198.18.0.102']);
    await Promise.all([first, last]);
    expect(routes.calls).toEqual(['list', 'add 198.18.0.102']);
    routes.calls.length = 0;
    const running = a.set(['198.18.0.103']);
    await Promise.resolve();
    const after = a.set(['198.18.0.104']);
    await Promise.all([running, after]);
    expect([...routes.table]).toEqual(['198.18.0.104']);
  });

  it('a kernel error is logged once and retried until the table matches', async () => {
    vi.useFakeTimers();
    const routes = new FakeRoutes();
    const a = new BgpAnnouncer(routes, log);
    log.warn.mockClear();
    routes.failNext = 3;
    await a.set(['198.18.0.100']);
    expect(a.state()).toEqual({ announced: [], pending: ['198.18.0.100'] });
    for (let i = 0; i < 5 && routes.table.size === 0; i++) await vi.advanceTimersByTimeAsync(1_000);
    expect([...routes.table]).toEqual(['198.18.0.100']);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  it('stop withdraws everything and closes the table', async () => {
    const routes = new FakeRoutes();
    const a = new BgpAnnouncer(routes, log);
    await a.set(['198.18.0.100']);
    await a.stop();
    expect(routes.table.size).toBe(0);
    expect(routes.closed).toBe(true);
    await a.set(['198.18.0.100']);
    expect(routes.table.size).toBe(0);
  });

  it('moving to another table empties the old one first', async () => {
    const old = new FakeRoutes();
    const next = new FakeRoutes();
    const a = new BgpAnnouncer(old, log);
    await a.set(['198.18.0.100']);
    await a.replaceRoutes(next);
    expect([old.table.size, old.closed, [...next.table]]).toEqual([0, true, ['198.18.0.100']]);
  });
});
