// Whether a process still runs, for tests that check a killed process group is gone.
import { readFileSync } from 'node:fs';

/** Running (a killed orphan may linger as a zombie until init reaps it; that counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
