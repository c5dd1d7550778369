// The shell of `lvsd import keepalived`: file system in, YAML and the report out.
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, relative, resolve } from 'node:path';
import { importKeepalived } from './convert.js';
import { fileSystem } from './files.js';
import { formatFinding } from './findings.js';

export interface ImportIo {
  out(text: string): void;
  err(line: string): void;
}

const processIo: ImportIo = { out: (t) => process.stdout.write(t), err: (l) => process.stderr.write(`${l}\n`) };

export async function runImport(file: string, options: { output?: string; configId?: string }, io: ImportIo = processIo): Promise<number> {
  const display = (p: string): string => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  const configId = options.configId ?? hostname().split('.')[0] ?? '';
  const result = importKeepalived(resolve(file), fileSystem, { configId, display }, options.output ? basename(options.output) : 'lvsd.yaml');
  for (const f of result.findings) io.err(formatFinding(f));
  for (const e of result.checkErrors) io.err(`lvsd check refuses the result: ${e}`);
  if (options.output) {
    try {
      await writeFile(options.output, result.yaml);
    } catch (err) {
      io.err(`cannot write ${options.output}: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
  } else {
    io.out(result.yaml);
  }
  const dropped = result.findings.filter((f) => f.kind === 'dropped').length;
  const approximated = result.findings.length - dropped;
  io.err(result.complete
    ? `import complete${approximated > 0 ? ` (${approximated} approximated, see above)` : ''}`
    : `import incomplete: ${dropped} setting(s) not imported${result.checkErrors.length > 0 ? ', lvsd check refuses the result' : ''}`);
  return result.complete ? 0 : 1;
}
