// What an operator's runtime command asks for, as the change record it sets (runtime-changes.ts
// saves it and shares it with the peer): `lvsd add-server` / `remove-server` checked against the
// file and the records already held, `drain` / `disable` / `enable` aimed at a real server of the
// running config. Pure; throws the operator's error.
import type { OperatorOverride } from '../health/index.js';
import type { Config } from '../config/types.js';
import { hostPort } from '../net/address.js';
import type { ChangeRecord } from '../peer/types.js';
import type { ControlResult } from './control-methods.js';
import { fileHas, resolveServer } from './runtime-servers.js';

export type ChangeRequest = Omit<ChangeRecord, 'at' | 'node'>;

/**
 * `lvsd add-server` / `remove-server` on `running` (the file's config with the runtime changes):
 * the record to set and the operator's answer. `held` looks up the record already held for a server.
 */
export function serverChange(
  running: Config,
  file: Config,
  held: (key: Pick<ChangeRecord, 'kind' | 'service' | 'realServer'>) => ChangeRecord | undefined,
  method: 'add-server' | 'remove-server',
  service: string,
  text: string,
  weight: number | undefined,
): { change: ChangeRequest; result: ControlResult<'add-server'> } {
  const target = resolveServer(running, service, text);
  const key = { kind: 'server' as const, service, realServer: target.key };
  const inFile = fileHas(file, service, target.key);
  const record = held(key);
  if (method === 'add-server') {
    const w = weight === undefined ? 1 : weight;
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 65535) throw new Error(`add-server: weight ${String(weight)} is not an integer 0-65535`);
    // A server of the file that was removed at runtime comes back as the file has it.
    if (inFile && record?.value !== 'remove') throw new Error(`service ${service} already has ${target.key} (in the config file)`);
    if (!inFile && record?.value === 'add') throw new Error(`service ${service} already has ${target.key} (added at runtime by ${record.node})`);
    return {
      change: inFile ? { ...key, value: 'clear' } : { ...key, value: 'add', weight: w },
      result: { service, realServer: target.key, change: inFile ? 'restored from the file' : 'added', weight: w },
    };
  }
  if (!inFile && record?.value !== 'add') throw new Error(`service ${service} has no real server ${target.key}`);
  if (inFile && record?.value === 'remove') throw new Error(`${target.key} is already removed from service ${service} (by ${record.node})`);
  return { change: inFile ? { ...key, value: 'remove' } : { ...key, value: 'clear' }, result: { service, realServer: target.key, change: 'removed (draining)' } };
}

/**
 * drain, disable, enable on `service` of `running`, or on one of its real servers ("address:port",
 * or a bare address that matches by address): the record to set, whose realServer is the key.
 */
export function overrideChange(running: Config, service: string, realServer: string | undefined, override: OperatorOverride | 'clear'): ChangeRequest {
  const svc = running.services.find((s) => s.name === service);
  if (!svc) throw new Error(`no service named "${service}" (services: ${running.services.map((s) => s.name).join(', ') || 'none'})`);
  if (realServer === undefined) return { kind: 'override', service, value: override };
  const rs = svc.real_servers.find((r) => hostPort(r) === realServer || r.address === realServer);
  if (!rs) throw new Error(`service ${svc.name} has no real server ${realServer}`);
  return { kind: 'override', service, realServer: hostPort(rs), value: override };
}
