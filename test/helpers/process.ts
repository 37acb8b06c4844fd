// Whether a process is still running, for the tests that check that nothing a run started survives it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scaled } from './time.js';

/** Alive and not a zombie waiting to be reaped (a zombie is dead; only its parent has not collected it yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

/** A killed process takes a moment to vanish: true once it is gone, false if it is still there after `ms` (scaled). */
export async function isGoneWithin(pid: number, unscaledMs: number): Promise<boolean> {
  const ms = scaled(unscaledMs);
  for (let waited = 0; waited < ms && isAlive(pid); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  return !isAlive(pid);
}

const CHECKOUT = fileURLToPath(new URL('../../package.json', import.meta.url));

/**
 * The argv prefix that runs a command as the `nobody` user, for the tests of what another user sees; null when
 * this is not root, setpriv is missing, or nobody cannot read this checkout (a clone inside a 0700 folder).
 */
export function asNobody(): string[] | null {
  if (process.getuid?.() !== 0) return null;
  const prefix = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  return spawnSync(prefix[0]!, [...prefix.slice(1), 'test', '-r', CHECKOUT]).status === 0 ? prefix : null;
}
