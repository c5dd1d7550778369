// Rules for the daemon-wide settings: where lvsd listens. Both are warnings, since a firewall
// or a deliberate layout can make either safe, but the default is the safe choice.
import { posix } from 'node:path';
import { parseHostPort, specialAddressKind } from '../../net/address.js';
import type { Rule } from './context.js';

/** /metrics has no authentication: on a non-loopback address anyone who can reach it reads it. */
const metricsOnLoopback: Rule = (ctx) => {
  const listen = parseHostPort(ctx.config.metrics.listen);
  if (listen !== undefined && specialAddressKind(listen.address) !== 'loopback') {
    ctx.warn(['metrics', 'listen'], `${ctx.config.metrics.listen} is not a loopback address, /metrics is served without authentication to anyone who can reach it; expected 127.0.0.1 or ::1 unless a firewall guards the port`);
  }
};

/**
 * The control socket accepts commands that move VIPs. /run is root-owned tmpfs, emptied at
 * boot; elsewhere (/tmp above all) another user may create or replace the path first.
 */
const controlSocketUnderRun: Rule = (ctx) => {
  const socket = posix.normalize(ctx.config.control.socket);
  if (!socket.startsWith('/run/')) {
    ctx.warn(['control', 'socket'], `${ctx.config.control.socket} is outside /run, where another user may create or replace it first; expected a path under /run such as /run/lvsd/lvsd.sock`);
  }
};

export const daemonRules: readonly Rule[] = [metricsOnLoopback, controlSocketUnderRun];
