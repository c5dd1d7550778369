// Every program a suite starts is declared as a need of that suite (test/support/needs.ts), and
// the Debian package that brings it is in .ci/setup's list. Without this a missing tool (ping in
// the VRRP cluster test, once) makes `npm test` fail with ENOENT instead of skipping with its name.
//
// The scan is textual: each *.test.ts under test/unit, test/netns and test/kernel plus every
// module under test/ it imports (transitively), comments stripped, calls of the spawn helpers the
// suites use (child_process' exec/spawn family, test/support/netns.mjs run/runAsync and
// Netns.exec/spawn/run) with a literal program name, and `sh -c '<program> ...'`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toolNeeds } from '../../support/needs.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const testDir = join(root, 'test');

/** Programs (and shell words) every Debian system has: its Essential packages, node, and lvsd under test. */
const ESSENTIAL = new Set(['sh', 'bash', 'cat', 'echo', 'grep', 'for', 'command', 'source', 'sleep', 'true', 'false', 'kill', 'env', 'ldd', 'chrt', 'node', 'npm', 'npx', 'lvsd']);
/** Needs that are not a program on PATH but still start one (the asan need is a C++ toolchain). */
const OTHER_NEEDS: Record<string, readonly string[]> = { asan: ['g++'] };
/** needs.ts probes for programs itself; that is not a suite starting them. */
const CHECKER = join(testDir, 'support', 'needs.ts');

const CALL = /(?<![\w$])(?:execFileSync|execFile|spawnSync|spawn|execSync|exec|runAsync|run)\(\s*(['"`])([\w./+-]+)\1/g;
const SH_C = /(?<![\w$])(?:execFileSync|execFile|spawnSync|spawn|exec|runAsync|run)\(\s*['"`](?:sh|bash)['"`]\s*,\s*\[\s*['"`]-c['"`]\s*,\s*(['"`])\s*(?:exec\s+)?([\w./+-]+)/g;
const IMPORT = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const DECLARED = /(?:describeWith|unmet)\(\s*\[([^\]]*)\]/g;

const stripComments = (src: string): string => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** The file an import specifier names: `./x.js` is `./x.ts` in the sources. */
function resolveImport(from: string, spec: string): string | undefined {
  const p = resolve(dirname(from), spec);
  for (const c of [p, p.replace(/\.js$/, '.ts'), p.replace(/\.mjs$/, '.mts')]) {
    if (c.startsWith(testDir) && existsSync(c) && !c.endsWith('.d.mts')) return c;
  }
  return undefined;
}

/** The file and every module under test/ it imports, transitively. */
function closure(file: string): string[] {
  const seen = new Set<string>();
  const todo = [file];
  while (todo.length > 0) {
    const f = todo.pop() as string;
    if (seen.has(f) || f === CHECKER) continue;
    seen.add(f);
    for (const m of stripComments(readFileSync(f, 'utf8')).matchAll(IMPORT)) {
      const dep = resolveImport(f, m[1] as string);
      if (dep) todo.push(dep);
    }
  }
  return [...seen];
}

function programsIn(file: string): string[] {
  const src = stripComments(readFileSync(file, 'utf8'));
  const found = [...src.matchAll(CALL), ...src.matchAll(SH_C)].map((m) => (m[2] as string).split('/').pop() as string);
  return [...new Set(found)];
}

function declaredNeeds(file: string): Set<string> {
  const src = readFileSync(file, 'utf8');
  return new Set([...src.matchAll(DECLARED)].flatMap((m) => [...(m[1] as string).matchAll(/['"]([\w-]+)['"]/g)].map((n) => n[1] as string)));
}

function needFor(program: string): string | undefined {
  const all: Record<string, readonly string[]> = { ...OTHER_NEEDS, ...Object.fromEntries(Object.entries(toolNeeds).map(([n, t]) => [n, t.programs])) };
  return Object.keys(all).find((n) => all[n]?.includes(program));
}

function setupPackages(): Set<string> {
  const m = /^packages=\(([^)]*)\)/m.exec(readFileSync(join(root, '.ci', 'setup'), 'utf8'));
  return new Set((m?.[1] ?? '').split(/\s+/).filter(Boolean));
}

const suites = ['unit', 'netns', 'kernel'].flatMap((s) => testFiles(join(testDir, s)));

describe('every program a suite starts is a declared need', () => {
  it('finds the suites and the programs they start (the scan is not empty)', () => {
    expect(suites.length).toBeGreaterThan(30);
    const all = new Set(suites.flatMap((f) => closure(f).flatMap(programsIn)));
    for (const p of ['ip', 'ipvsadm', 'tcpdump', 'ping', 'keepalived', 'dnsmasq']) expect(all).toContain(p);
  });

  it('each program is a known tool need or part of every Debian system', () => {
    const unknown = suites.flatMap((f) =>
      closure(f).flatMap((m) => programsIn(m).filter((p) => !ESSENTIAL.has(p) && !needFor(p)).map((p) => `${relative(root, m)}: ${p}`)),
    );
    expect([...new Set(unknown)], 'add the program to toolNeeds in test/support/needs.ts').toEqual([]);
  });

  it('each test file declares the need of every program it (or a helper it imports) starts', () => {
    const missing: string[] = [];
    for (const f of suites) {
      const declared = declaredNeeds(f);
      for (const m of closure(f)) {
        for (const p of programsIn(m)) {
          const need = needFor(p);
          if (need && !declared.has(need)) missing.push(`${relative(root, f)}: '${need}' (runs ${p}${m === f ? '' : ` via ${relative(root, m)}`})`);
        }
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it('the Debian package of every tool need is installed by .ci/setup', () => {
    const listed = setupPackages();
    const absent = Object.values(toolNeeds).flatMap((t) => t.pkg.split(' ')).filter((p) => !listed.has(p));
    expect(absent).toEqual([]);
  });
});
