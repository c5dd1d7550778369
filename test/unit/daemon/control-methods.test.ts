// The control method table: what reaches a handler is checked against the method's params first.
import { describe, expect, it } from 'vitest';
import { controlParams, dispatchControl, type ControlHandlers } from '../../../src/daemon/control-methods.js';

/** Every handler answers with the params it was given, so a test sees what got through. */
const echo = Object.fromEntries(Object.keys(controlParams).map((m) => [m, async (p: unknown) => ({ method: m, params: p })])) as unknown as ControlHandlers;

describe('control methods', () => {
  it('runs a method with its params, unknown keys left out', async () => {
    await expect(dispatchControl(echo, 'drain', { service: 'web', realServer: '198.18.1.11', extra: 1 })).resolves.toEqual({ method: 'drain', params: { service: 'web', realServer: '198.18.1.11' } });
    await expect(dispatchControl(echo, 'add-server', { service: 'web', realServer: '198.18.1.13', weight: 5 })).resolves.toMatchObject({ params: { weight: 5 } });
  });

  it('refuses params of the wrong shape before any handler runs, naming the param', async () => {
    await expect(dispatchControl(echo, 'drain', {})).rejects.toThrow('drain: name a service (param service)');
    await expect(dispatchControl(echo, 'remove-server', { service: 'web' })).rejects.toThrow('remove-server: name a real server (param realServer)');
    await expect(dispatchControl(echo, 'reload', { force: 'yes' })).rejects.toThrow(/^reload: .* \(param force\)$/);
  });

  it('names the methods it has when asked for another', async () => {
    await expect(dispatchControl(echo, 'toString', {})).rejects.toThrow(/unknown method "toString" \(status, reload, failover, .*plan\)/);
  });
});
