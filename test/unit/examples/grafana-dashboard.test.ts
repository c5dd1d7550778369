// examples/grafana/lvsd.json against the metrics lvsd exports: every PromQL expression of the
// dashboard (panels, variables, annotations) names only metrics in DaemonMetrics' registry (a
// histogram's _bucket/_sum/_count included), selects and groups only by labels those metrics
// carry (or the scrape's own: instance, job), and every exported metric is shown somewhere.
// The registry is read from src/daemon/metrics.ts, so a renamed metric fails here.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';

const root = resolve(import.meta.dirname, '../../..');
const dashboard = JSON.parse(readFileSync(join(root, 'examples/grafana/lvsd.json'), 'utf8')) as Record<string, unknown>;

/** Every series name lvsd exports, with the labels it carries. */
function exported(): Map<string, Set<string>> {
  const m = new DaemonMetrics({ vrrp: async () => [], loopDelay: async () => [], realServers: () => [], ipvsStats: async () => [] });
  const out = new Map<string, Set<string>>();
  for (const metric of m.registry.getMetricsAsArray()) {
    const { name, labelNames } = metric as unknown as { name: string; labelNames: string[] };
    if (metric instanceof Histogram) {
      out.set(`${name}_bucket`, new Set([...labelNames, 'le']));
      out.set(`${name}_sum`, new Set(labelNames));
      out.set(`${name}_count`, new Set(labelNames));
    } else {
      out.set(name, new Set(labelNames));
    }
  }
  return out;
}

/** Every PromQL text in the dashboard: panel targets, annotation queries, variable queries. */
function expressions(): string[] {
  const found: string[] = [];
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'string' && (key === 'expr' || key === 'query' || key === 'definition') && v.includes('lvsd_')) found.push(v);
    else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(dashboard, '');
  return found;
}

/** Legends ("{{service}} {{server}}") by the expression they label. */
function legends(): Array<{ expr: string; legend: string }> {
  const out: Array<{ expr: string; legend: string }> = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.expr === 'string' && typeof o.legendFormat === 'string') out.push({ expr: o.expr, legend: o.legendFormat });
      Object.values(o).forEach(walk);
    }
  };
  walk(dashboard);
  return out;
}

const metricNames = (expr: string): string[] => [...expr.matchAll(/\blvsd_[a-z0-9_]+\b/g)].map((m) => m[0]);

/** The labels Prometheus attaches to every scraped series; a metric of lvsd must not carry them. */
const SCRAPE_LABELS = ['instance', 'job'];

/** Labels an expression may use: those of its metrics and the scrape's. */
function labelsOf(expr: string, metrics: Map<string, Set<string>>): Set<string> {
  const labels = new Set(SCRAPE_LABELS);
  for (const name of metricNames(expr)) for (const l of metrics.get(name) ?? []) labels.add(l);
  return labels;
}

describe('examples/grafana/lvsd.json', () => {
  const metrics = exported();
  const exprs = expressions();

  it('is a Grafana 10 dashboard on a Prometheus data source variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const vars = (dashboard.templating as { list: Array<{ name: string; type: string; query: unknown }> }).list;
    expect(vars.find((v) => v.type === 'datasource')).toMatchObject({ name: 'datasource', query: 'prometheus' });
    const panels = (dashboard.panels as Array<{ type: string; datasource?: { uid: string } }>).filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(20);
    for (const p of panels) expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    expect(exprs.length).toBeGreaterThan(30);
  });

  it('queries only metrics lvsd exports', () => {
    const unknown = exprs.flatMap((e) => metricNames(e).filter((n) => !metrics.has(n)).map((n) => `${n} in ${e}`));
    expect(unknown).toEqual([]);
  });

  it('selects, groups and labels series only by labels those metrics carry', () => {
    const wrong: string[] = [];
    for (const expr of exprs) {
      const allowed = labelsOf(expr, metrics);
      const used = [
        ...[...expr.matchAll(/\blvsd_[a-z0-9_]+\s*\{([^}]*)\}/g)].flatMap((m) => [...(m[1] ?? '').matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1] ?? '')),
        ...[...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => (m[1] ?? '').split(',').map((l) => l.trim())),
      ];
      for (const l of used) if (l && !allowed.has(l)) wrong.push(`${l} in ${expr}`);
    }
    for (const { expr, legend } of legends()) {
      const allowed = labelsOf(expr, metrics);
      for (const m of legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) if (!allowed.has(m[1] ?? '')) wrong.push(`legend {{${m[1]}}} of ${expr}`);
    }
    expect(wrong).toEqual([]);
  });

  it('exports no label that Prometheus would rename (instance, job are the scrape target\'s)', () => {
    const clashing = [...metrics].flatMap(([name, labels]) => SCRAPE_LABELS.filter((l) => labels.has(l)).map((l) => `${name}{${l}}`));
    expect(clashing).toEqual([]);
  });

  it('shows every metric lvsd exports (a new metric belongs on the dashboard)', () => {
    const used = new Set(exprs.flatMap(metricNames).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    const missing = [...metrics.keys()].map((n) => n.replace(/_(bucket|sum|count)$/, '')).filter((n) => !used.has(n));
    expect([...new Set(missing)]).toEqual([]);
  });
});
