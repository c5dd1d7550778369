// Kernel parameters under /proc/sys, read and written the way sysctl(8) does, in the current
// network namespace or in another one.
//
// Keys are written with slashes relative to /proc/sys ("net/ipv4/conf/eth0.100/arp_ignore"),
// not dots: interface names may contain dots (VLANs), and a dotted key would be ambiguous.
// `sysctlDisplayName` turns a key back into what an operator types or puts in sysctl.d.
//
// The files under /proc/sys/net belong to the network namespace of the thread that opens them,
// so reading another namespace's value means opening the file while inside it (`inNetns`).
import { readFileSync, writeFileSync } from 'node:fs';
import { KernelError, errnoName } from './errors.js';
import { inNetns } from './native.js';

export interface SysctlOptions {
  /** Path of a network namespace (e.g. /run/netns/blue); default: the caller's own. */
  netnsPath?: string;
}

/** One component of a key: no slashes, not empty, not "." or "..". */
function assertComponent(part: string, key: string): void {
  if (part === '' || part === '.' || part === '..' || part.includes('/') || part.includes('\0')) {
    throw new Error(`invalid sysctl key "${key}"`);
  }
}

function procPath(key: string): string {
  for (const part of key.split('/')) assertComponent(part, key);
  return `/proc/sys/${key}`;
}

/** The per-interface key, e.g. ('ipv4', 'eth0', 'rp_filter') -> "net/ipv4/conf/eth0/rp_filter". */
export function interfaceSysctl(family: 'ipv4' | 'ipv6', ifname: string, name: string): string {
  const key = `net/${family}/conf/${ifname}/${name}`;
  procPath(key);
  return key;
}

/**
 * The name an operator reads and writes in /etc/sysctl.d: dotted when no component contains a
 * dot, otherwise the slash form, which sysctl.d(5) keeps verbatim ("net/ipv4/conf/eth0.100/rp_filter").
 */
export function sysctlDisplayName(key: string): string {
  const parts = key.split('/');
  return parts.some((p) => p.includes('.')) ? key : parts.join('.');
}

function withNamespace<T>(options: SysctlOptions, fn: () => T): T {
  return options.netnsPath ? inNetns(options.netnsPath, fn) : fn();
}

function explainFsError(err: unknown, key: string, operation: string, value?: string): Error {
  const e = err as NodeJS.ErrnoException;
  if (typeof e.errno !== 'number') return err instanceof Error ? err : new Error(String(err));
  const errno = Math.abs(e.errno);
  const name = sysctlDisplayName(key);
  const detail: Record<string, string> = {
    ENOENT: `no such sysctl ${name} (is the interface or module missing?)`,
    EACCES: `permission denied on ${name} (needs root)`,
    EPERM: `permission denied on ${name} (needs root)`,
    EROFS: `${name} is read-only here (/proc/sys mounted read-only, e.g. in a container)`,
    EINVAL: `the kernel rejected ${JSON.stringify(value ?? '')} for ${name}`,
  };
  const code = errnoName(errno);
  return new KernelError(`${operation} ${name}: ${detail[code] ?? e.message} (${code})`, errno, code, operation);
}

/** The value with surrounding whitespace removed, or undefined when the key does not exist. */
export function readSysctl(key: string, options: SysctlOptions = {}): string | undefined {
  const path = procPath(key);
  try {
    return withNamespace(options, () => readFileSync(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw explainFsError(err, key, 'read sysctl');
  }
}

/** Writes `value` in one write(2), as sysctl -w does; throws a KernelError naming the key. */
export function writeSysctl(key: string, value: string, options: SysctlOptions = {}): void {
  const path = procPath(key);
  try {
    withNamespace(options, () => writeFileSync(path, `${value}\n`, { flag: 'w' }));
  } catch (err) {
    throw explainFsError(err, key, 'write sysctl', value);
  }
}
