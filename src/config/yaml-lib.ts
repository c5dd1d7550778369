// The `yaml` package, loaded on first use. Files in the plain subset (yaml-subset.ts) that load
// without a problem to report never need it, and loading it is a noticeable share of the start-up
// of `lvsd check`. It is a CommonJS package, so a synchronous require() keeps the loader synchronous.
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');

let lib: Yaml | undefined;

export function yamlLib(): Yaml {
  lib ??= createRequire(import.meta.url)('yaml') as Yaml;
  return lib;
}
