// Executable hygiene: lvsd runs notify hooks, track scripts and exec checks as root (or with
// CAP_NET_ADMIN), so whoever can replace one of those files, or rename a directory on its path,
// can run code with lvsd's privileges. Like keepalived with `enable_script_security`, lvsd
// refuses to run such a file; unlike keepalived there is no switch to merely warn, because the
// fix (chown root, chmod go-w) is always available to the operator and a warning in a log is
// not a defence. The verdict is taken right before each spawn, so a file fixed on disk runs at
// its next turn without a reload.
//
// Safe means: the file is a regular file, and the file and every directory above it (both the
// path as written and the one its symlinks resolve to) are owned by root or by lvsd's own user,
// and not writable by group (unless the group is root's or lvsd's) or others. A world-writable
// directory with the sticky bit (/tmp) is fine: others cannot rename or delete what root owns
// in it, and the next component's owner is checked in turn.
import { accessSync, constants, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';

/** The PATH used when lvsd's environment has none (execvp's default, minus the current directory). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The sticky bit (stat(2)); Node's fs.constants lacks it. */
const S_ISVTX = 0o1000;

export type ExecutableVerdict =
  | { ok: true; /** Absolute path to spawn (argv[0] resolved through PATH). */ file: string }
  | { ok: false; /** "ENOENT" when not found, "EUNSAFE" when refused. */ code: string; reason: string };

/**
 * Resolves `command` (argv[0]) the way execvp(3) would, ignoring relative PATH entries, and
 * checks the file and its directories. Never throws.
 */
export function checkExecutable(command: string, env: NodeJS.ProcessEnv = process.env): ExecutableVerdict {
  const file = resolveCommand(command, env.PATH ?? DEFAULT_PATH);
  if (file === undefined) return { ok: false, code: 'ENOENT', reason: `${command}: command not found` };
  let real: string;
  try {
    real = realpathSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'ENOENT';
    return { ok: false, code, reason: code === 'ENOENT' ? `${file}: no such file` : `${file}: ${code}` };
  }
  const trusted = trustedIds();
  for (const p of unique([...chain(file), ...chain(real)])) {
    let st: Stats;
    try {
      st = statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'ENOENT';
      return { ok: false, code, reason: `${p}: ${code}` };
    }
    const problem = p === file || p === real ? fileProblem(st, trusted) : directoryProblem(st, trusted);
    if (problem) return { ok: false, code: 'EUNSAFE', reason: `refusing to run ${file}: ${p} ${problem}` };
  }
  return { ok: true, file };
}

interface TrustedIds {
  uids: ReadonlySet<number>;
  gids: ReadonlySet<number>;
}

function trustedIds(): TrustedIds {
  return { uids: new Set([0, process.geteuid?.() ?? 0]), gids: new Set([0, process.getegid?.() ?? 0]) };
}

function ownershipProblem(st: Stats, trusted: TrustedIds): string | undefined {
  if (!trusted.uids.has(st.uid)) return `is owned by uid ${st.uid}`;
  return undefined;
}

function fileProblem(st: Stats, trusted: TrustedIds): string | undefined {
  if (!st.isFile()) return 'is not a regular file';
  if (st.mode & constants.S_IWOTH) return 'is writable by any user';
  if (st.mode & constants.S_IWGRP && !trusted.gids.has(st.gid)) return `is writable by group ${st.gid}`;
  return ownershipProblem(st, trusted);
}

function directoryProblem(st: Stats, trusted: TrustedIds): string | undefined {
  const sticky = (st.mode & S_ISVTX) !== 0;
  if (!sticky && st.mode & constants.S_IWOTH) return 'is a directory writable by any user';
  if (!sticky && st.mode & constants.S_IWGRP && !trusted.gids.has(st.gid)) return `is a directory writable by group ${st.gid}`;
  return ownershipProblem(st, trusted);
}

/** `p` and every directory above it, file first. */
function chain(p: string): string[] {
  const out = [p];
  for (let dir = path.dirname(p); ; dir = path.dirname(dir)) {
    out.push(dir);
    if (dir === '/') return out;
  }
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}

function resolveCommand(command: string, searchPath: string): string | undefined {
  if (command.includes('/')) return path.resolve(command);
  for (const dir of searchPath.split(':')) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here; keep looking, as execvp does.
    }
  }
  return undefined;
}
