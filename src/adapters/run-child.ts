// Runs one child in its own process group, kills the whole group on timeout or abort, and always settles.
import { performance } from 'node:perf_hooks';
import { DescendantTracker } from './descendants.js';

export interface ChildRequest {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Added to this process's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Text for stdin, then end of file; null gives the child no stdin at all (end of file at once). */
  readonly input: string | null;
  /** `performance.now()` by which the child must be gone. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  /** Raw output, as it arrives. */
  readonly onData: (stream: 'stdout' | 'stderr', bytes: Buffer) => void;
  /** Between SIGTERM and SIGKILL to the group. */
  readonly graceMs: number;
}

export interface ChildResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Why we stopped it, if we did. */
  readonly stopped: 'timeout' | 'cancelled' | null;
  /** Set when the child could not be started: an errno code such as ENOENT, and execa's message. */
  readonly spawnError: { readonly code: string; readonly message: string } | null;
  /** Descendants still alive after everything was killed (none, unless one cannot be signalled). */
  readonly survivors: readonly number[];
}

/**
 * execa, loaded on first use: it costs ~23 ms to import, and a dynamic import also keeps it loadable
 * when the caller was compiled to CommonJS (uvu -r tsx), where a static import of ESM-only execa fails.
 */
let execaModule: Promise<typeof import('execa')> | null = null;
const loadExeca = () => (execaModule ??= import('execa'));

/** The longest delay a Node timer can hold (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long to wait for the pipes once the child and its group are gone, before closing them ourselves. */
const DRAIN_MS = 500;

/** Process groups that may still be alive, killed if this process exits first. */
const liveGroups = new Set<number>();
/** Descendants that left their group (setsid), killed too if this process exits first. */
const liveTrackers = new Set<DescendantTracker>();
/** How often a run's descendants are looked up in /proc. */
const SWEEP_MS = 100;
let exitHookInstalled = false;

export async function runChild(request: ChildRequest): Promise<ChildResult> {
  if (request.signal.aborted) return { exitCode: null, signal: null, stopped: 'cancelled', spawnError: null, survivors: [] };
  const remaining = request.deadline - performance.now();
  if (remaining <= 0) return { exitCode: null, signal: null, stopped: 'timeout', spawnError: null, survivors: [] };

  const { execa } = await loadExeca();
  const subprocess = execa(request.file, [...request.args], {
    cwd: request.cwd,
    env: request.env,
    extendEnv: true,
    detached: true,
    cleanup: false,
    reject: false,
    buffer: false,
    stripFinalNewline: false,
    ...(request.input === null ? { stdin: 'ignore' as const } : { input: request.input }),
  });
  const pid = subprocess.pid;
  if (pid !== undefined) trackGroup(pid);
  const tracker = pid === undefined ? null : new DescendantTracker(pid);
  if (tracker) liveTrackers.add(tracker);
  const sweeping = tracker ? setInterval(() => tracker.sweep(), SWEEP_MS) : undefined;
  subprocess.stdout?.on('data', (bytes: Buffer) => request.onData('stdout', bytes));
  subprocess.stderr?.on('data', (bytes: Buffer) => request.onData('stderr', bytes));

  let stopped: ChildResult['stopped'] = null;
  let exit: { code: number | null; signal: string | null } | null = null;
  const timers: NodeJS.Timeout[] = [];
  let killing = false;
  /** SIGTERM to the whole group, then SIGKILL after the grace period; once. */
  const stopGroup = () => {
    if (pid === undefined || killing) return;
    killing = true;
    tracker?.sweep();
    tracker?.signal('SIGTERM');
    const group = signalGroup(pid, 'SIGTERM');
    if (!group && !tracker?.alive().length) return;
    timers.push(
      setTimeout(() => {
        tracker?.sweep();
        signalGroup(pid, 'SIGKILL');
        tracker?.signal('SIGKILL');
      }, request.graceMs),
    );
  };
  const stop = (why: 'timeout' | 'cancelled') => {
    stopped ??= why;
    stopGroup();
  };
  const onAbort = () => stop('cancelled');
  request.signal.addEventListener('abort', onAbort, { once: true });
  // A longer delay overflows Node's timer, which then fires at once; 24.8 days is as good as no limit.
  timers.push(setTimeout(() => stop('timeout'), Math.min(remaining, MAX_TIMER_MS)));

  // The pipes close only when every process holding them is gone: once the child has exited, clear
  // out the rest of its group, and if the pipes are still open after that, close them ourselves.
  const drained = new Promise<void>((resolve) => {
    subprocess.once('exit', (code, signal) => {
      exit = { code, signal };
      tracker?.sweep();
      if (pid !== undefined && (signalGroup(pid, 0) || tracker?.alive().length)) stopGroup();
      timers.push(
        setTimeout(() => {
          if (pid !== undefined) signalGroup(pid, 'SIGKILL');
          tracker?.signal('SIGKILL');
          subprocess.stdout?.destroy();
          subprocess.stderr?.destroy();
          resolve();
        }, request.graceMs + DRAIN_MS),
      );
    });
  });

  try {
    // Closing the pipes ends execa's wait; should it not, the exit status is all we need.
    const afterDrain = drained.then(() => Promise.race([subprocess, delay(1000).then(() => null)]));
    const result = await Promise.race([subprocess, afterDrain]);
    if (pid === undefined) {
      return {
        exitCode: null,
        signal: null,
        stopped,
        spawnError: { code: result?.code ?? 'unknown', message: result?.shortMessage ?? 'the process did not start' },
        survivors: [],
      };
    }
    const finished: { code: number | null; signal: string | null } = exit ?? { code: result?.exitCode ?? null, signal: result?.signal ?? null };
    // A killed process takes a moment to vanish: only one still there after that has survived.
    for (let waited = 0; tracker?.alive().length && waited < 1000; waited += 50) await delay(50);
    return { exitCode: finished.code, signal: finished.signal, stopped, spawnError: null, survivors: tracker?.alive() ?? [] };
  } finally {
    clearInterval(sweeping);
    if (tracker && !tracker.alive().length) liveTrackers.delete(tracker);
    request.signal.removeEventListener('abort', onAbort);
    for (const timer of timers) clearTimeout(timer);
    if (pid !== undefined && !signalGroup(pid, 0)) liveGroups.delete(pid);
  }
}

/** Sends a signal to a process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const group of liveGroups) signalGroup(group, 'SIGKILL');
    for (const tracker of liveTrackers) tracker.signal('SIGKILL');
  });
}
