import { describe, expect, it } from 'vitest';
import { formatIssue, parseConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { decideReload, decideStart, diffServices, removalGuard } from '../../../src/daemon/reload-decision.js';

interface Svc {
  name: string;
  port?: number;
  weight?: number;
}

/** A config with one real server per service; `ipvs` is extra YAML for the ipvs block. */
function config(services: Svc[], ipvs = ''): Config {
  const text = `node: { name: lb1 }
${ipvs ? `ipvs: { ${ipvs} }\n` : ''}services:
${services
  .map(
    (s, i) => `  - name: ${s.name}
    vip: 198.18.0.${100 + i}
    port: ${s.port ?? 80}
    protocol: tcp
    real_servers: [{ address: 198.18.1.11, weight: ${s.weight ?? 100} }]`,
  )
  .join('\n')}
`;
  const r = parseConfigText(services.length ? text : text.replace('services:\n', 'services: []\n'), 't.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
  return r.config;
}

const tcp = (last: number, port = 80) => ({ protocol: 'tcp' as const, address: `198.18.0.${last}`, port });
const four = [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }];

describe('diffServices', () => {
  it('reconciles only the changed service of a one-weight change', () => {
    const d = diffServices(config(four), config([{ name: 'a' }, { name: 'b', weight: 7 }, { name: 'c' }, { name: 'd' }]));
    expect(d.changed.map((s) => s.name)).toEqual(['b']);
    expect(d.retired).toEqual([]);
    expect(d.full).toBe(false);
  });

  it('replaces a service whose port changed: the old identity retires, replaced by the new one', () => {
    const d = diffServices(config(four), config([{ name: 'a', port: 8080 }, { name: 'b' }, { name: 'c' }, { name: 'd' }]));
    expect(d.changed.map((s) => s.name)).toEqual(['a']);
    expect(d.retired).toEqual([{ service: tcp(100), replacedBy: tcp(100, 8080), drainTimeout: 300_000 }]);
  });

  it('retires removed services and recorded leftovers, never one still declared under another name', () => {
    const recorded = [tcp(200), tcp(101)];
    const d = diffServices(config(four), config([{ name: 'a' }, { name: 'renamed-b' }, { name: 'c' }]), recorded);
    // renamed-b keeps b's address (the second VIP): same kernel service, nothing retires for it.
    // Each drains for the drain_timeout it had (a recorded leftover's is gone: the default).
    expect(d.retired).toEqual([{ service: tcp(103), drainTimeout: 300_000 }, { service: tcp(200), drainTimeout: 300_000 }]);
  });

  it('asks for a full reconcile when the ipvs block changes', () => {
    expect(diffServices(config(four), config(four, 'purge_unmanaged: true')).full).toBe(true);
  });
});

describe('removalGuard', () => {
  it('allows up to the share, refuses above it unless forced, and does not count replacements', () => {
    const r = (n: number, replaced = false) => Array.from({ length: n }, (_, i) => (replaced ? { service: tcp(i), replacedBy: tcp(i, 81) } : { service: tcp(i) }));
    expect(removalGuard(r(2), 4, 50, false)).toEqual({ ok: true });
    expect(removalGuard(r(3), 4, 50, false)).toEqual({ ok: false, removed: 3, managed: 4, maxPercent: 50 });
    expect(removalGuard(r(3), 4, 50, true)).toEqual({ ok: true });
    expect(removalGuard(r(4, true), 4, 50, false)).toEqual({ ok: true });
    expect(removalGuard(r(1), 1, 100, false)).toEqual({ ok: true });
  });
});

describe('decideReload', () => {
  const current = { config: config(four), hash: 'h1' };

  it('is unchanged for the committed hash, and runs again for a hash that was never committed', () => {
    expect(decideReload({ current, next: { config: config(four), hash: 'h1' }, recorded: [], force: false })).toEqual({ kind: 'unchanged' });
    const retry = decideReload({ current, next: { config: config([...four.slice(0, 3), { name: 'd', weight: 5 }]), hash: 'h2' }, recorded: [], force: false });
    expect(retry.kind).toBe('apply');
  });

  it('refuses a truncated file with the count, and applies it when forced', () => {
    const next = { config: config([{ name: 'a' }]), hash: 'h2' };
    const refused = decideReload({ current, next, recorded: [], force: false });
    expect(refused).toEqual({ kind: 'refused', message: expect.stringMatching(/^refusing to remove 3 of 4 managed IPVS services \(more than ipvs.max_removal_percent, 50%\)/) });
    const forced = decideReload({ current, next, recorded: [], force: true });
    expect(forced.kind === 'apply' && forced.diff.retired.length).toBe(3);
  });

  it('judges by the limit in force, not the one in the new file', () => {
    const next = { config: config([{ name: 'a' }], 'max_removal_percent: 100'), hash: 'h2' };
    expect(decideReload({ current, next, recorded: [], force: false }).kind).toBe('refused');
  });

  it('runs a forced reload of an unchanged file, which retires recorded leftovers', () => {
    const d = decideReload({ current, next: { config: config(four), hash: 'h1' }, recorded: [tcp(200)], force: true });
    expect(d).toEqual({ kind: 'apply', diff: { changed: [], retired: [{ service: tcp(200), drainTimeout: 300_000 }], full: false } });
  });
});

describe('decideStart', () => {
  it('retires recorded services the config dropped while lvsd was down', () => {
    expect(decideStart(config(four.slice(0, 3)), [tcp(100), tcp(101), tcp(102), tcp(103)])).toEqual({ retire: [{ service: tcp(103), drainTimeout: 300_000 }], kept: [] });
  });

  it('retires nothing without a record (first start: adopt, leave the rest alone)', () => {
    expect(decideStart(config(four), [])).toEqual({ retire: [], kept: [] });
  });

  it('keeps them, with the count, when the config lost more than the share', () => {
    const d = decideStart(config([{ name: 'a' }]), [tcp(100), tcp(101), tcp(102), tcp(103)]);
    expect(d.retire).toEqual([]);
    expect(d.kept).toEqual([tcp(101), tcp(102), tcp(103)]);
    expect(d.refused).toMatch(/^refusing to remove 3 of 4 managed IPVS services .*"lvsd reload --force" removes them/);
  });
});
