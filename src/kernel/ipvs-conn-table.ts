// The kernel's IPVS connection table, line by line. Generic netlink has no command for it; the
// only interface is /proc/net/ip_vs_conn (what `ipvsadm -Lc` reads), which belongs to the
// network namespace of the reader. It is streamed: a busy director holds millions of entries.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { KernelError, errnoName } from './errors.js';

export const IPVS_CONN_TABLE = '/proc/net/ip_vs_conn';

function explain(err: NodeJS.ErrnoException, path: string): Error {
  if (typeof err.errno !== 'number') return err;
  const errno = Math.abs(err.errno);
  const code = errnoName(errno);
  const why = code === 'ENOENT' ? 'no IPVS connection table: the ip_vs module is not loaded (or this kernel has no IPVS)' : err.message;
  return new KernelError(`read ${path}: ${why} (${code})`, errno, code, 'read connection table');
}

/** Every line of the table, the header included; throws a KernelError when it cannot be opened. */
export async function* ipvsConnectionTableLines(path = IPVS_CONN_TABLE): AsyncGenerator<string> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } catch (err) {
    throw explain(err as NodeJS.ErrnoException, path);
  } finally {
    lines.close();
    stream.destroy();
  }
}
