// Structured logs: JSON lines for journald and log shippers; human-readable on a terminal.
import { pino, type Logger, type LevelWithSilent, type LogFn } from 'pino';

export type { Logger };

export interface LogOptions {
  level?: LevelWithSilent;
  /** Pretty-print (colour, local times). Default: when stderr is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go; default stderr (fd 2), so stdout stays free for command output. */
  destination?: NodeJS.WritableStream;
}

/** `log.x({ err, ...fields }, msg)` or `log.x(err, msg)` as `log.x(fields, 'msg: err.message')`. */
function briefError(args: Parameters<LogFn>): Parameters<LogFn> {
  const [first, msg, ...rest] = args as unknown[];
  const text = (e: Error): string => (typeof msg === 'string' ? `${msg}: ${e.message}` : e.message);
  if (first instanceof Error) return [text(first), ...rest] as Parameters<LogFn>;
  if (first !== null && typeof first === 'object' && (first as { err?: unknown }).err instanceof Error) {
    const { err, ...fields } = first as { err: Error };
    return [fields, text(err), ...rest] as Parameters<LogFn>;
  }
  return args;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  if (pretty) {
    // A person reads one line per event: fields inline, an error as its message ("kernel has no
    // IPVS (modprobe ip_vs?)" is a condition to fix, not a bug). The stack and the error's other
    // fields only at debug and trace, where someone hunts a bug. JSON lines (below) keep them all.
    return pino({
      level,
      hooks: {
        logMethod(args, method) {
          if (this.isLevelEnabled('debug')) return method.apply(this, args);
          return method.apply(this, briefError(args));
        },
      },
      transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } },
    });
  }
  return pino({ level, base: { pid: process.pid } }, opts.destination ?? pino.destination(2));
}
