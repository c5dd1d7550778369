// The shell of `lvsd import keepalived`: file system in, YAML and the report out.
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, relative, resolve } from 'node:path';
import { importKeepalived } from './convert.js';
import { fileSystem } from './files.js';
import { formatFinding } from './findings.js';

export async function runImport(file: string, options: { output?: string; configId?: string }): Promise<number> {
  const display = (p: string): string => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  const configId = options.configId ?? hostname().split('.')[0] ?? '';
  const result = importKeepalived(resolve(file), fileSystem, { configId, display }, options.output ? basename(options.output) : 'lvsd.yaml');
  for (const f of result.findings) process.stderr.write(`${formatFinding(f)}\n`);
  for (const e of result.checkErrors) process.stderr.write(`lvsd check refuses the result: ${e}\n`);
  if (options.output) {
    try {
      await writeFile(options.output, result.yaml);
    } catch (err) {
      process.stderr.write(`cannot write ${options.output}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  } else {
    process.stdout.write(result.yaml);
  }
  const dropped = result.findings.filter((f) => f.kind === 'dropped').length;
  const approximated = result.findings.length - dropped;
  process.stderr.write(result.complete
    ? `import complete${approximated > 0 ? ` (${approximated} approximated, see above)` : ''}\n`
    : `import incomplete: ${dropped} setting(s) not imported${result.checkErrors.length > 0 ? ', lvsd check refuses the result' : ''}\n`);
  return result.complete ? 0 : 1;
}
