// `lvsd import keepalived` for a pair: the two keepalived.conf of the nodes (or one file read with
// each node's config id) become one lvsd file with nodes:. Each node's view of that file is the
// import of that node alone, and what one file cannot say per node is reported.
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectGoldenFile } from '../../support/golden-file.js';
import { formatIssue, parseConfigText, parseConfigViews } from '../../../src/config/load.js';
import { importKeepalived, importKeepalivedNodes, type ImportResult, type NodeSource } from '../../../src/import/convert.js';
import { fileSystem } from '../../../src/import/files.js';
import { formatFinding } from '../../../src/import/findings.js';
import { runImport } from '../../../src/import/run.js';

const ROOT = resolve('test/fixtures/keepalived');
const PAIRS = join(ROOT, 'pairs');
const display = (p: string): string => relative(ROOT, p);

/** Each node's config from the folded file, beside the import of that node alone. */
function expectViewsEqualSingleImports(result: ImportResult, sources: NodeSource[], names: string[]): void {
  const views = parseConfigViews(result.yaml, 'pair.yaml');
  if (!views.ok) throw new Error(views.errors.map(formatIssue).join('\n'));
  expect(views.views.map((v) => v.node)).toEqual(names);
  sources.forEach((s, i) => {
    const alone = parseConfigText(importKeepalived(s.path, fileSystem, { configId: s.configId, display }).yaml, 'alone.yaml');
    if (!alone.ok) throw new Error(alone.errors.map(formatIssue).join('\n'));
    expect(views.views[i]?.config).toEqual(alone.config);
  });
}

describe('lvsd import keepalived of a pair', () => {
  it('two files: one file with nodes:, each node\'s view equal to its own import; renames, priorities and sources per node, no peer lists', () => {
    const sources = ['lb1', 'lb2'].map((n) => ({ path: join(PAIRS, `${n}.conf`), configId: n }));
    const result = importKeepalivedNodes(sources, fileSystem, display);
    expectGoldenFile(join(PAIRS, 'pair.yaml'), result.yaml);
    expectGoldenFile(join(PAIRS, 'pair.report'), `${result.findings.map(formatFinding).join('\n')}\n`);
    expect(result.checkErrors).toEqual([]);
    expect(result.complete).toBe(true);
    expectViewsEqualSingleImports(result, sources, ['lb1', 'lb2']);
    expect(result.yaml).not.toContain('unicast_peers');
    expect(result.yaml).toContain('    interfaces:\n      eth0: ens3\n      eth1: ens4\n');
  });

  it('one file with @lb1/@lb2 lines read with each config id (-i lb1 -i lb2)', () => {
    const conf = join(ROOT, 'roundtrip', 'keepalived.conf');
    const sources = ['lb1', 'lb2'].map((configId) => ({ path: conf, configId }));
    const result = importKeepalivedNodes(sources, fileSystem, display);
    expect(result.checkErrors).toEqual([]);
    expect(result.complete).toBe(true);
    expectViewsEqualSingleImports(result, sources, ['lb1', 'lb2']);
  });

  it('what one file cannot say per node is reported, the first node\'s kept: another vrid, an instance on one node, other services', () => {
    const sources = ['lb1', 'lb2'].map((n) => ({ path: join(PAIRS, `mismatch-${n}.conf`), configId: n }));
    const result = importKeepalivedNodes(sources, fileSystem, display);
    expectGoldenFile(join(PAIRS, 'mismatch.yaml'), result.yaml);
    expectGoldenFile(join(PAIRS, 'mismatch.report'), `${result.findings.map(formatFinding).join('\n')}\n`);
    expect(result.checkErrors).toEqual([]);
    expect(result.complete).toBe(false);
    expect(result.findings.map((f) => [f.pos.file, f.pos.line, f.keyword, f.kind])).toEqual([
      ['pairs/mismatch-lb2.conf', 6, 'vrid', 'dropped'],
      ['pairs/mismatch-lb2.conf', 43, 'services', 'dropped'],
      ['pairs/mismatch-lb2.conf', 56, 'vrrp_instance', 'dropped'],
    ]);
  });

  it('lvsd import keepalived lb1.conf lb2.conf: one file with nodes:, exit 0; config ids that do not fit the files: exit 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (l: string) => err.push(l) };
    expect(await runImport([join(PAIRS, 'lb1.conf'), join(PAIRS, 'lb2.conf')], {}, io)).toBe(0);
    expect(out.join('')).toMatch(/^nodes:\n {2}lb1:\n/m);
    expect(err.at(-1)).toBe('import complete');
    expect(await runImport([join(PAIRS, 'lb1.conf'), join(PAIRS, 'lb2.conf')], { configId: ['a', 'b', 'c'] }, io)).toBe(2);
    expect(err.at(-1)).toBe('2 files and 3 config ids: expected one config id for all files, or one per file');
  });
});
