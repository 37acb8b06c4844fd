// Ends the sidecar when the process that started it dies (`initialize.processId`, `--clientProcessId`): nothing is left behind.
import { readFileSync } from 'node:fs';

/** Gone, or a zombie that its parent has not reaped yet (a killed editor under a busy shell). */
export function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: alive, another user's
  }
  try {
    return /^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false; // no /proc (macOS): kill(pid, 0) alone decides
  }
}

export interface ClientWatchdog {
  /** Watches one more pid (a client may name the same one twice); `onGone` runs once, for the first to die. */
  watch(pid: number): void;
  stop(): void;
}

/** Polls every `intervalMs` (500 ms: the sidecar is gone well within 2 s of its client). */
export function createClientWatchdog(onGone: (pid: number) => void, intervalMs = 500): ClientWatchdog {
  const pids = new Set<number>();
  let timer: NodeJS.Timeout | null = null;
  let fired = false;
  const check = () => {
    for (const pid of pids) {
      if (!fired && processIsGone(pid)) {
        fired = true;
        stop();
        onGone(pid);
        return;
      }
    }
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  return {
    watch(pid) {
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || fired) return;
      pids.add(pid);
      // Unref'd: watching never keeps the process alive by itself.
      timer ??= setInterval(check, intervalMs).unref();
      check();
    },
    stop,
  };
}
