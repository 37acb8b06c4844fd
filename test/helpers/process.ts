// Whether a process is still running, for the tests that check that nothing a run started survives it.
import { readFileSync } from 'node:fs';
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
