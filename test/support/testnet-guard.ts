// Unit-project setup file: unit tests run in the host's own network namespace, where
// 198.18.0.0/15 and 2001:2::/48 follow the default route and leave the machine (on the CI host
// a real gateway answers TCP connects there, so a health check "against" 198.18.1.11 passes).
// Every TCP connect and UDP send from the test process to those ranges is refused here with
// EHOSTUNREACH, and the test that made it fails afterwards naming the address: a test that
// needs traffic on those addresses belongs in the netns suite (test/support/netns.mjs); one that
// only needs a peer uses loopback (127.0.0.1, ::1). Child processes and native sockets are
// covered by the blackhole routes of testnet-blackhole.ts when the suite runs as root.
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, afterEach } from 'vitest';
import { inTestNet } from './test-net.js';

const attempts: string[] = [];

function refused(what: string, host: string, port: unknown): Error {
  attempts.push(`${what} ${host}${port === undefined ? '' : ` port ${String(port)}`}`);
  return Object.assign(new Error(`test-net guard: ${what} ${host} from the host namespace would leave this machine`), { code: 'EHOSTUNREACH' });
}

/** The host and port of net.Socket#connect's argument forms (options, or port + host); undefined for a unix path. */
function target(args: unknown[]): { host: string; port: unknown } | undefined {
  const [first, second] = args;
  if (Array.isArray(first)) return target(first as unknown[]);
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: unknown; port?: unknown; path?: unknown };
    return typeof o.host === 'string' ? { host: o.host, port: o.port } : undefined;
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) return typeof second === 'string' ? { host: second, port: first } : undefined;
  return undefined;
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const t = target(args);
  if (t && inTestNet(t.host)) {
    const err = refused('TCP connect to', t.host, t.port);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function guardedSend(this: dgram.Socket, ...args: unknown[]) {
  // send(msg, [offset, length,] port, address, [callback]): the address is the first string after the message.
  const address = args.slice(1).find((a) => typeof a === 'string');
  if (typeof address === 'string' && inTestNet(address)) {
    const err = refused('UDP send to', address, args.slice(1).find((a) => typeof a === 'number'));
    const callback = args.find((a) => typeof a === 'function') as ((e: Error) => void) | undefined;
    process.nextTick(() => (callback ? callback(err) : this.emit('error', err)));
    return;
  }
  return (send as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.send;

const udpConnect = dgram.Socket.prototype.connect;
dgram.Socket.prototype.connect = function guardedUdpConnect(this: dgram.Socket, ...args: unknown[]) {
  const address = args.find((a) => typeof a === 'string');
  if (typeof address === 'string' && inTestNet(address)) {
    const err = refused('UDP connect to', address, args[0]);
    const callback = args.find((a) => typeof a === 'function') as ((e: Error) => void) | undefined;
    process.nextTick(() => (callback ? callback(err) : this.emit('error', err)));
    return;
  }
  return (udpConnect as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.connect;

/** The attempts refused since the last call, emptied: for the guard's own test. */
export function takeAttempts(): string[] {
  return [...new Set(attempts.splice(0))];
}

/** Fails the test (or, for a hook's or a straggler's attempt, the file) that made attempts. */
function failOnAttempts(): void {
  const seen = takeAttempts();
  if (seen.length === 0) return;
  throw new Error(
    `this test sent traffic to the test ranges from the host's network namespace, where it would leave the machine: ${seen.join('; ')}. ` +
      'Use loopback (127.0.0.1, ::1) or a fake, or move the test to the netns suite (test/support/netns.mjs).',
  );
}

afterEach(failOnAttempts);
afterAll(failOnAttempts);
