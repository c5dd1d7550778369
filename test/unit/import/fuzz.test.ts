// The importer never crashes and always ends, whatever it reads: random token soup built from
// keepalived's vocabulary, every corpus file cut at random points, braces nested far beyond any
// real file, include loops and self-including globs, parameters that expand into themselves.
// Seeded, so a failure can be replayed; every loop is bounded in count.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importKeepalived, type ImportResult } from '../../../src/import/convert.js';
import type { SourceFiles } from '../../../src/import/types.js';

/** Files in memory; glob matches '*' within the pattern's directory only. */
function memoryFiles(files: Record<string, string>): SourceFiles {
  return {
    read: (path) => files[path],
    glob: (pattern) => {
      const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
      return Object.keys(files).filter((p) => re.test(p)).sort();
    },
  };
}

function run(files: Record<string, string>, main = '/k/keepalived.conf'): ImportResult {
  return importKeepalived(main, memoryFiles(files), { configId: 'lb1', display: (p) => p });
}

function assertSane(result: ImportResult): void {
  expect(typeof result.yaml).toBe('string');
  for (const f of result.findings) {
    expect(f.pos.line).toBeGreaterThanOrEqual(1);
    expect(f.message.length).toBeGreaterThan(0);
  }
  if (result.checkErrors.length > 0) expect(result.complete).toBe(false);
}

/** Mulberry32: small, seeded, good enough to pick words. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const corpusDir = resolve('test/fixtures/keepalived');
const corpus = ['good', 'bad'].flatMap((kind) =>
  readdirSync(join(corpusDir, kind)).filter((f) => f.endsWith('.conf')).map((f) => readFileSync(join(corpusDir, kind, f), 'utf8')));
const vocabulary = [...new Set(corpus.join('\n').split(/\s+/))].filter((w) => w.length > 0)
  .concat(['{', '}', '{', '}', '"', "'", '\\', '$X=', '$X', '${X}', '$Y= \\', '@lb1', '@^lb1', 'include', '*', '\n', '\n', '\n', '#', '!', '~SEQ(N,1,3)',
    '0', '-1', '99999999999', '1e9', 'NaN', '::', '198.18.0.1-198.18.255.255', '2001:2::/64', '198.18.0.0/16']);

describe('keepalived import fuzz', () => {
  it('random token soup: no crash, findings carry a line', () => {
    const next = random(12);
    for (let round = 0; round < 200; round++) {
      const words: string[] = [];
      const count = Math.floor(next() * 400);
      for (let i = 0; i < count; i++) words.push(vocabulary[Math.floor(next() * vocabulary.length)] ?? '{');
      assertSane(run({ '/k/keepalived.conf': words.join(next() < 0.5 ? ' ' : '\n'), '/k/other.conf': words.slice(0, 50).join(' ') }));
    }
  });

  it('every corpus file cut at random points', () => {
    const next = random(34);
    for (const text of corpus) {
      for (let cut = 0; cut < 25; cut++) assertSane(run({ '/k/keepalived.conf': text.slice(0, Math.floor(next() * text.length)) }));
    }
  });

  it('braces nested 20,000 deep and 20,000 unmatched closers', () => {
    const deep = run({ '/k/keepalived.conf': `vrrp_instance x ${'{ a '.repeat(20_000)}` });
    assertSane(deep);
    expect(deep.findings.some((f) => f.message.includes('deep'))).toBe(true);
    assertSane(run({ '/k/keepalived.conf': '}\n'.repeat(20_000) }));
  });

  it('include loops and self-including globs are read once and reported', () => {
    const loop = run({
      '/k/keepalived.conf': 'include a.conf\ninclude *.conf',
      '/k/a.conf': 'include b.conf\nglobal_defs { router_id lb9 }',
      '/k/b.conf': 'include a.conf\ninclude keepalived.conf',
    });
    assertSane(loop);
    expect(loop.findings.filter((f) => f.message.includes('include loop')).length).toBeGreaterThan(0);
    expect(loop.yaml).toContain('name: lb9');
  });

  it('a file that includes itself through a glob many times over stays bounded', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`/k/f${i}.conf`] = 'include *.conf\n';
    files['/k/keepalived.conf'] = 'include *.conf\n';
    assertSane(run(files));
  });

  it('parameters that grow or refer to themselves end', () => {
    assertSane(run({ '/k/keepalived.conf': '$A=$A $A\n$A\n$B=${B}${B}x\n${B}\n$C= \\\n$C\n$C\n' }));
    assertSane(run({ '/k/keepalived.conf': `$M= \\\n${'$M \\\n'.repeat(50)}x\n$M\n` }));
  });
});
