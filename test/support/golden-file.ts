// Expected-output files kept next to their fixtures: a test compares its output with the file,
// and UPDATE_GOLDEN=1 (or a missing file) writes the output there instead, for review in git.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';

const update = process.env.UPDATE_GOLDEN === '1';

export function expectGoldenFile(path: string, actual: string): void {
  if (update || !existsSync(path)) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}
