// The fast reader must give exactly what `yaml` gives, or give up: checked on every config in
// the repository, on generated files and on hand-written corner cases.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { readYamlSubset } from '../../../src/config/yaml-subset.js';

const limits = { maxAliasExpansion: 1_000_000, maxNesting: 64 };
const fixtures = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));
const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

const files = [
  ...readdirSync(join(fixtures, 'invalid')).filter((f) => f.endsWith('.yaml')).map((f) => join(fixtures, 'invalid', f)),
  ...readdirSync(join(fixtures, 'valid')).filter((f) => f.endsWith('.yaml')).map((f) => join(fixtures, 'valid', f)),
  join(examples, 'lvsd.yaml'),
];

/** What `yaml` makes of the text, as the loader asks for it; undefined when it reports an error. */
function viaYaml(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true, merge: true, resolveKnownTags: false });
  if (doc.errors.length > 0) return undefined;
  return doc.toJS({ maxAliasCount: -1 });
}

function expectSameOrGivenUp(text: string): 'read' | 'given up' {
  const fast = readYamlSubset(text, limits);
  if (fast === undefined) return 'given up';
  expect(fast).toEqual(viaYaml(text));
  return 'read';
}

describe('readYamlSubset', () => {
  it.each(files.map((f) => [f.slice(f.lastIndexOf('/config/') + 1), f]))('%s: same as yaml or given up', (_name, file) => {
    expectSameOrGivenUp(readFileSync(file, 'utf8'));
  });

  it('reads the example and the full fixture itself (they are in the subset)', () => {
    expect(expectSameOrGivenUp(readFileSync(join(examples, 'lvsd.yaml'), 'utf8'))).toBe('read');
    expect(expectSameOrGivenUp(readFileSync(join(fixtures, 'valid', 'full.yaml'), 'utf8'))).toBe('read');
  });

  it.each([
    ['scalars of every core-schema type', 'a: 1\nb: -7\nc: +3\nd: 007\ne: true\nf: False\ng: null\nh: ~\ni: x y\nj: 198.18.0.1\nk: 2001:2::1\nl: "q: x"\nm: \'it\'\'s\'\nn:\no: a#b\np: 1s # comment\nq: "a\\"b\\r\\n\\x41\\u00e9\\\\"\n'],
    ['nested blocks and compact mappings in sequences', 'a:\n  b:\n    - x\n    -   y: 1\n        z: [1, {c: d}]\n    -\n      w: 2\n  e:\n  - 1\n  - 2\n'],
    ['a sequence at the key indent', 'a:\n- 1\n- b: 2\n  c: 3\nd: 4\n'],
    ['anchors and aliases', 'a: &x { p: 1, q: [2, 3] }\nb: *x\nc: [*x, &y 5, *y]\nd: &z\n  e: 1\nf: *z\n'],
    ['flow collections with trailing commas and spaces', 'a: [ 1, 2, ]\nb: {  x: 1 ,y: [ ] , }\nc: {}\n'],
    ['a document start marker and comments', '# head\n---\n# c\na: 1 # x\n\n   \n  # indented comment\nb: 2\n'],
    ['comments between entries of a sequence', 'a:\n  - 1\n# c\n  - 2\n'],
  ])('%s', (_name, text) => {
    expect(expectSameOrGivenUp(text)).toBe('read');
  });

  it.each([
    ['a tab', 'a:\t1\n'],
    ['a block scalar', 'a: |\n  x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a merge key', 'a: &x { p: 1 }\nb: { <<: *x, q: 2 }\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a multi-line plain scalar', 'a: x\n  y\n'],
    ['a multi-line flow collection', 'a: [1,\n  2]\n'],
    ['an unknown escape in double quotes', 'a: "x\\qy"\n'],
    ['a float', 'a: 1.5\n'],
    ['hex', 'a: 0x10\n'],
    ['an unknown alias', 'a: *x\n'],
    ['a top-level sequence', '- a\n'],
    ['an empty file', '# nothing\n'],
    ['a second document', 'a: 1\n---\nb: 2\n'],
    ['a quoted key', '"a": 1\n'],
    ['a nested mapping on one line', 'a: b: c\n'],
    ['a value with a trailing colon', 'a: 2001:2::\n'],
    ['deep nesting', `a: ${'['.repeat(100)}${']'.repeat(100)}\n`],
    ['a carriage return', 'a: 1\r\n'],
    ['a __proto__ key', '__proto__: 1\n'],
  ])('gives up on %s', (_name, text) => {
    expect(readYamlSubset(text, limits)).toBeUndefined();
  });

  it('gives up when aliases would expand beyond the limit (so yaml reports it)', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n');
    expect(readYamlSubset(bomb, limits)).toBeUndefined();
    expect(readYamlSubset(bomb, { ...limits, maxAliasExpansion: 1e9 })).toBeDefined();
  });

  it('matches yaml on a generated 50-service file with shared anchors', () => {
    const services = Array.from({ length: 50 }, (_, i) => [
      `  - name: s${i}`,
      `    vip: 198.18.${i >> 8}.${i & 255}`,
      `    port: ${80 + (i % 3)}`,
      i === 0 ? '    check: &chk { type: http, path: /healthz, expect_status: [200, 204], interval: 2s }' : '    check: *chk',
      '    real_servers:',
      ...[1, 2, 3, 4].map((d) => `      - { address: 198.19.0.${d}, port: ${80 + (i % 3)}, weight: ${d} }`),
    ].join('\n'));
    expect(expectSameOrGivenUp(`node: { name: lb1 }\nservices:\n${services.join('\n')}\n`)).toBe('read');
  });

  it('matches yaml or gives up on 1,000 mutated versions of the example and the full fixture (bounded, seeded)', () => {
    const bases = [join(examples, 'lvsd.yaml'), join(fixtures, 'valid', 'full.yaml')].map((f) => readFileSync(f, 'utf8'));
    let seed = 4242;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ':-[]{}#&*!|>"\'\\ \nx0.,/~';
    let read = 0;
    for (let round = 0; round < 1000; round++) {
      const chars = [...(bases[round % 2] ?? '')];
      for (let k = 0; k < 1 + random(3); k++) chars[random(chars.length)] = alphabet[random(alphabet.length)] ?? 'x';
      if (expectSameOrGivenUp(chars.join('')) === 'read') read++;
    }
    // Most single-character slips still leave a file in the subset: the comparison means something.
    expect(read).toBeGreaterThan(100);
  });
});
