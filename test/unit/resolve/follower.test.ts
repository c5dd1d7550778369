// The follower's shell on a fake lookup and fake timers: it asks each name once, again after
// the TTL (within floor and ceiling), tells the daemon when the config would change, logs the
// move the way operators grep for it, holds a failing name, and keeps the old address until the
// new one passes its check. Saved state round-trips through the state file's format.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { parseConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { formatNamesState, parseNamesState } from '../../../src/daemon/resolve-state.js';
import { NameFollower } from '../../../src/resolve/follower.js';
import type { NameLookup } from '../../../src/resolve/lookup.js';
import type { FamilyAnswer, IpFamily } from '../../../src/resolve/types.js';

const config = (extra: object = {}): Config => {
  const r = parseConfigText(
    stringify({
      node: { name: 'lb1' },
      resolver: { ttl_floor: '1s', ttl_ceiling: '10s', hold: '5s', ...extra },
      services: [{ name: 'web', vip: '198.18.0.100', port: 80, check: { type: 'tcp' }, real_servers: [{ address: 'app1.lab.test' }] }],
    }),
    'c.yaml',
  );
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.config;
};

/** Answers from a table the test edits, as a nameserver with a hosts file would. */
function fakeDns(): { lookup: NameLookup; hosts: Map<string, string[] | 'nxdomain' | 'timeout'>; asked: string[] } {
  const hosts = new Map<string, string[] | 'nxdomain' | 'timeout'>();
  const asked: string[] = [];
  const lookup: NameLookup = {
    lookup: async (name: string, family: IpFamily): Promise<FamilyAnswer> => {
      asked.push(name);
      const h = hosts.get(name) ?? 'nxdomain';
      if (typeof h === 'string') return { family, outcome: h, records: [], detail: h === 'timeout' ? 'ETIMEOUT' : 'ENOTFOUND' };
      return { family, outcome: 'ok', records: h.map((address) => ({ address, ttl: 3 })) };
    },
    cancel: () => undefined,
  };
  return { lookup, hosts, asked };
}

describe('NameFollower', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const setup = () => {
    const dns = fakeDns();
    const lines: string[] = [];
    const up = new Set<string>();
    let changes = 0;
    const log = { info: (_: object, m: string) => void lines.push(m), warn: (_: object, m: string) => void lines.push(m), error: (_: object, m: string) => void lines.push(m) };
    const f = new NameFollower({ log, isUp: (_s, a) => up.has(a), onChange: () => void changes++, lookup: () => dns.lookup });
    return { dns, lines, up, f, changes: () => changes };
  };

  it('follows a move: new address checked first, old one kept until then, the move logged', async () => {
    const { dns, lines, up, f, changes } = setup();
    const c = config();
    dns.hosts.set('app1.lab.test', ['198.18.3.11']);
    f.configure(c);
    await vi.advanceTimersByTimeAsync(0);
    await f.firstLookups();
    expect(changes()).toBe(1);
    expect(f.materialize(c).config.services[0]?.real_servers.map((rs) => rs.address)).toEqual(['198.18.3.11']);
    up.add('198.18.3.11');
    // TTL 3 s: asked again after 3 s, not before.
    expect(dns.asked).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_900);
    expect(dns.asked).toHaveLength(1);
    dns.hosts.set('app1.lab.test', ['198.18.3.12']);
    await vi.advanceTimersByTimeAsync(200);
    expect(dns.asked).toHaveLength(2);
    expect(changes()).toBe(2);
    const moving = f.materialize(c).config;
    expect(moving.services[0]?.real_servers.map((rs) => rs.address)).toEqual(['198.18.3.11', '198.18.3.12']);
    expect(lines).toContain('web/app1.lab.test changed its address from 198.18.3.11 to 198.18.3.12');
    expect(f.status()[0]?.entries[0]).toMatchObject({ placed: ['198.18.3.11', '198.18.3.12'], leaving: ['198.18.3.11'] });
    // The new address passes its check: the daemon is told, and the old one leaves.
    up.add('198.18.3.12');
    f.healthChanged();
    expect(changes()).toBe(3);
    expect(f.materialize(c).config.services[0]?.real_servers.map((rs) => rs.address)).toEqual(['198.18.3.12']);
    f.healthChanged();
    expect(changes()).toBe(3);
    f.stop();
  });

  it('a name that stops resolving keeps its address for the hold time, reported, then it leaves', async () => {
    const { dns, lines, up, f, changes } = setup();
    const c = config();
    dns.hosts.set('app1.lab.test', ['198.18.3.11']);
    up.add('198.18.3.11');
    f.configure(c);
    await vi.advanceTimersByTimeAsync(0);
    f.materialize(c);
    dns.hosts.set('app1.lab.test', 'nxdomain');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(lines).toContain('app1.lab.test does not resolve (nxdomain: ENOTFOUND); keeping 198.18.3.11 for web for up to 5 s');
    expect(f.status()[0]).toMatchObject({ addresses: ['198.18.3.11'], last: { outcome: 'nxdomain' }, failingSince: 1_003_000, holdUntil: 1_008_000, expired: false });
    expect(f.materialize(c).config.services[0]?.real_servers.map((rs) => rs.address)).toEqual(['198.18.3.11']);
    const before = changes();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(changes()).toBe(before + 1);
    expect(lines).toContain('app1.lab.test has not resolved for the hold time (nxdomain); 198.18.3.11 leave web');
    expect(f.status()[0]).toMatchObject({ addresses: [], expired: true });
    expect(f.materialize(c).config.services[0]?.real_servers).toEqual([]);
    f.stop();
  });

  it('a restart starts at the saved addresses, before any answer, and keeps the hold running', async () => {
    const { dns, f } = setup();
    const c = config();
    dns.hosts.set('app1.lab.test', ['198.18.3.11']);
    f.configure(c);
    await vi.advanceTimersByTimeAsync(0);
    f.materialize(c);
    const saved = parseNamesState(formatNamesState(f.snapshot()));
    f.stop();
    expect(saved.placements).toEqual([{ entry: 'web|app1.lab.test:80', target: ['198.18.3.11'], leaving: [] }]);

    const next = setup();
    next.dns.hosts.set('app1.lab.test', 'timeout');
    next.f.configure(c);
    next.f.restore(saved);
    // Known addresses: the start does not wait for the (failing) first lookup.
    await next.f.firstLookups();
    expect(next.f.materialize(c).config.services[0]?.real_servers.map((rs) => rs.address)).toEqual(['198.18.3.11']);
    await vi.advanceTimersByTimeAsync(0);
    expect(next.f.status()[0]).toMatchObject({ addresses: ['198.18.3.11'], last: { outcome: 'timeout' } });
    next.f.stop();
  });

  it('a broken or foreign names file is refused with the reason', () => {
    expect(() => parseNamesState('{"version":2}')).toThrow(/not an lvsd names file/);
    expect(() => parseNamesState('{"version":1,"names":[{"name":"a","addresses":{"4":["2001:2::1"],"6":[]}}],"placements":[]}')).toThrow(/names\[0\]/);
    expect(() => parseNamesState('{"version":1,"names":[],"placements":[{"entry":"x","target":["nope"],"leaving":[]}]}')).toThrow(/placements\[0\]/);
  });
});
