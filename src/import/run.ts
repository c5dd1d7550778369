// The shell of `lvsd import keepalived`: file system in, YAML and the report out.
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, relative, resolve } from 'node:path';
import { importKeepalived, importKeepalivedNodes, type NodeSource } from './convert.js';
import { fileSystem } from './files.js';
import { formatFinding } from './findings.js';

export interface ImportIo {
  out(text: string): void;
  err(line: string): void;
}

const processIo: ImportIo = { out: (t) => process.stdout.write(t), err: (l) => process.stderr.write(`${l}\n`) };

/**
 * One file and at most one config id: that node's view, as keepalived reads it there. Several
 * files (a pair's), or one file with several config ids (its @id lines): one file with nodes:.
 */
export async function runImport(files: string[], options: { output?: string; configId?: string[] }, io: ImportIo = processIo): Promise<number> {
  const display = (p: string): string => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  const ids = options.configId ?? [];
  const hostId = hostname().split('.')[0] ?? '';
  if (files.length > 1 && ids.length > 1 && ids.length !== files.length) {
    io.err(`${files.length} files and ${ids.length} config ids: expected one config id for all files, or one per file`);
    return 2;
  }
  const outputName = options.output ? basename(options.output) : 'lvsd.yaml';
  const [file = '', ...more] = files;
  const sources: NodeSource[] = more.length > 0
    ? files.map((f, i) => ({ path: resolve(f), configId: ids[ids.length > 1 ? i : 0] ?? hostId }))
    : ids.map((configId) => ({ path: resolve(file), configId }));
  const result = sources.length > 1
    ? importKeepalivedNodes(sources, fileSystem, display, outputName)
    : importKeepalived(resolve(file), fileSystem, { configId: ids[0] ?? hostId, display }, outputName);
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
