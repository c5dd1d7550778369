// Structured logs: JSON lines for journald and log shippers; human-readable on a terminal.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LogOptions {
  level?: LevelWithSilent;
  /** Pretty-print (colour, local times). Default: when stderr is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go; default stderr (fd 2), so stdout stays free for command output. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  if (pretty) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, base: { pid: process.pid } }, opts.destination ?? pino.destination(2));
}
