// The keepalived import corpus (test/fixtures/keepalived): every good file converts completely,
// every bad file reports what it left out; the YAML and the report equal the expected files
// next to each .conf, and lvsd check accepts every YAML. UPDATE_GOLDEN=1 rewrites them.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectGoldenFile } from '../../support/golden-file.js';
import { parseConfigText } from '../../../src/config/load.js';
import { importKeepalived } from '../../../src/import/convert.js';
import { fileSystem } from '../../../src/import/files.js';
import { formatFinding } from '../../../src/import/findings.js';

const ROOT = resolve('test/fixtures/keepalived');

/** The config id a corpus file asks for on a `! config-id: NAME` line (default lb1). */
function configIdOf(path: string): string {
  return /^! config-id: (\S+)/m.exec(readFileSync(path, 'utf8'))?.[1] ?? 'lb1';
}

function importFixture(path: string) {
  return importKeepalived(path, fileSystem, { configId: configIdOf(path), display: (p) => relative(ROOT, p) });
}

for (const kind of ['good', 'bad'] as const) {
  const dir = join(ROOT, kind);
  const files = readdirSync(dir).filter((f) => f.endsWith('.conf'));
  describe(`keepalived import corpus: ${kind}`, () => {
    it('has files', () => expect(files.length).toBeGreaterThan(0));
    for (const file of files) {
      const path = join(dir, file);
      const base = path.replace(/\.conf$/, '');
      it(`${file}: YAML and report as expected, accepted by lvsd check`, () => {
        const result = importFixture(path);
        expectGoldenFile(`${base}.yaml`, result.yaml);
        expectGoldenFile(`${base}.report`, result.findings.map(formatFinding).join('\n') + '\n');
        expect(result.checkErrors).toEqual([]);
        const loaded = parseConfigText(result.yaml, `${file}.yaml`);
        expect(loaded.ok).toBe(true);
        expect(result.complete).toBe(kind === 'good');
        if (kind === 'good') expect(result.findings.filter((f) => f.kind === 'dropped')).toEqual([]);
      });
    }
  });
}
