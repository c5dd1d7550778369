// Runs every invalid config in test/fixtures/config/invalid against its expected messages.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load.js';

const dir = fileURLToPath(new URL('../../fixtures/config/invalid/', import.meta.url));
const cases = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

describe('invalid config corpus', () => {
  it('has at least 30 cases, each with its expected messages', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const expectations = readdirSync(dir).filter((f) => f.endsWith('.expected'));
    expect(expectations.sort()).toEqual(cases.map((f) => f.replace(/\.yaml$/, '.expected')));
  });

  it.each(cases)('%s', async (name) => {
    const path = join(dir, name);
    const result = await loadConfigFile(path);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    for (const issue of [...result.errors, ...result.warnings]) expect(issue.file).toBe(path);
    const node = (i: { node?: string }): string => (i.node !== undefined ? `node ${i.node}: ` : '');
    const actual = [
      ...result.errors.map((e) => `error ${node(e)}${e.line}:${e.col}: ${e.message}`),
      ...result.warnings.map((w) => `warning ${node(w)}${w.line}:${w.col}: ${w.message}`),
    ];
    const expected = readFileSync(join(dir, name.replace(/\.yaml$/, '.expected')), 'utf8').split('\n').filter((l) => l !== '');
    expect(actual).toEqual(expected);
  });
});
