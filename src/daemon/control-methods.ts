// The control socket's methods, declared once: each method's params (a zod schema, so what
// arrives on the socket is checked before any handler sees it) and its result type. The daemon
// implements ControlHandlers (control-handlers.ts) and the CLI calls through callDaemon
// (src/cli/control-client.ts); both are typed from this table, so a method's shape lives here.
//
// To add a method: a params schema in `controlParams`, a result type in `ControlResults`, and a
// handler in control-handlers.ts (the compiler points at whichever is missing).
import * as z from 'zod';
import type { OperatorOverride } from '../health/index.js';
import type { StatusReport } from './status.js';
import type { FailoverResult } from './vrrp-status.js';

/** A required name, with the message an operator can act on. */
const named = (what: string) => z.string({ error: `name ${what}` }).min(1, `name ${what}`);
const overrideParams = z.object({ service: named('a service'), realServer: z.string().optional() });
const serverParams = z.object({ service: named('a service'), realServer: named('a real server') });

export const controlParams = {
  status: z.object({}),
  reload: z.object({ force: z.boolean().optional(), node: z.string().optional() }),
  failover: z.object({ instance: z.string().optional(), take: z.boolean().optional() }),
  drain: overrideParams,
  disable: overrideParams,
  enable: overrideParams.extend({ force: z.boolean().optional() }),
  'drain-node': z.object({ undo: z.boolean().optional() }),
  'add-server': serverParams.extend({ weight: z.number().optional() }),
  'remove-server': serverParams,
  plan: z.object({}),
};

export type ReloadResult = { ok: true; hash: string; changed: boolean } | { ok: false; errors: string[] };

/** What drain, disable and enable leave in force ('clear': checks decide again). */
export interface OverrideResult {
  service: string;
  realServer: string | null;
  override: OperatorOverride | 'clear';
}

/** What add-server and remove-server did, in words (`change`) and the real server's key. */
export interface ServerChangeResult {
  service: string;
  realServer: string;
  change: string;
  weight?: number;
}

export interface ControlResults {
  status: StatusReport;
  reload: ReloadResult;
  failover: FailoverResult[];
  drain: OverrideResult;
  disable: OverrideResult;
  enable: OverrideResult;
  'drain-node': { maintenance: boolean; announced: string[] };
  'add-server': ServerChangeResult;
  'remove-server': ServerChangeResult;
  plan: { text: string; operations: number; runtimeChanges: number };
}

export type ControlMethod = keyof typeof controlParams & keyof ControlResults;
/** What a caller sends (optional fields may be left out). */
export type ControlParams<M extends ControlMethod> = z.input<(typeof controlParams)[M]>;
export type ControlResult<M extends ControlMethod> = ControlResults[M];
export type ControlHandlers = { [M in ControlMethod]: (params: z.output<(typeof controlParams)[M]>) => Promise<ControlResult<M>> };

const METHODS = Object.keys(controlParams) as ControlMethod[];

function isMethod(method: string): method is ControlMethod {
  return Object.hasOwn(controlParams, method);
}

/** One request: checks the method and its params, then runs its handler. */
export function dispatchControl(handlers: ControlHandlers, method: string, params: Record<string, unknown>): Promise<unknown> {
  if (!isMethod(method)) return Promise.reject(new Error(`unknown method "${method}" (${METHODS.join(', ')})`));
  const parsed = controlParams[method].safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.length ? ` (param ${issue.path.join('.')})` : '';
    return Promise.reject(new Error(`${method}: ${issue?.message ?? 'bad params'}${param}`));
  }
  return (handlers[method] as (p: unknown) => Promise<unknown>)(parsed.data);
}
