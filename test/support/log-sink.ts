// A logger whose lines a test can read: the daemon's own logger (JSON lines) into an array.
import { Writable } from 'node:stream';
import { createLogger } from '../../src/daemon/log.js';

/** Every line logged at debug and above, as the daemon would write it. */
export function logSink(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', pretty: false, destination }), lines };
}
