// Why a verification run ended, as data: the runner reports a reason, messages.ts words it, the wire gets its cause.

/** Why a run ended; `runDetail` (messages.ts) says it in one sentence. */
export type RunReason =
  | { readonly kind: 'pytest-passed'; readonly node: string }
  | { readonly kind: 'scripts-passed'; readonly scripts: readonly string[] }
  /** `what` is `pytest <node>` or a script's path. */
  | { readonly kind: 'exited'; readonly what: string; readonly exitCode: number | null; readonly signal: string | null }
  | { readonly kind: 'returned-false'; readonly node: string }
  | { readonly kind: 'not-collected'; readonly node: string; readonly reason: string | null; readonly exitCode: number | null }
  /** A selected test was skipped, or marked xfail (and failed as expected, or passed): it verified nothing. */
  | { readonly kind: 'not-run'; readonly nodeid: string; readonly how: 'skipped' | 'xfailed' | 'xpassed'; readonly reason: string | null }
  /** pytest ended (os._exit, a crash) before the outcome plugin recorded every selected test and the end of the session. */
  | { readonly kind: 'no-outcome'; readonly node: string; readonly exitCode: number | null; readonly signal: string | null }
  /** `survivors`: pids of descendants still alive after every kill (none, unless one cannot be signalled). */
  | { readonly kind: 'timeout'; readonly timeoutMs: number; readonly survivors?: readonly number[] }
  | { readonly kind: 'cancelled'; readonly survivors?: readonly number[] }
  | { readonly kind: 'spawn-failed'; readonly python: string; readonly code: string; readonly message: string }
  | { readonly kind: 'workspace-missing'; readonly workspace: string }
  /** A script or test file that resolves (through a symlink) outside the workspace: refused, never run. */
  | { readonly kind: 'outside-workspace'; readonly path: string; readonly resolved: string; readonly workspace: string }
  | { readonly kind: 'plugin-missing'; readonly looked: readonly string[] };

/** `skipped`: a selected test was skipped or marked xfail; `no-outcome`: pytest ended before recording every test's outcome. */
export type RunCause = 'passed' | 'failed' | 'returned-false' | 'not-collected' | 'skipped' | 'no-outcome' | 'timeout' | 'cancelled' | 'spawn-failed';

/** The coarse cause a client sees for each reason. */
export function runCause(reason: RunReason): RunCause {
  switch (reason.kind) {
    case 'pytest-passed':
    case 'scripts-passed':
      return 'passed';
    case 'exited':
      return 'failed';
    case 'not-run':
      return 'skipped';
    case 'returned-false':
    case 'not-collected':
    case 'no-outcome':
    case 'timeout':
    case 'cancelled':
    case 'spawn-failed':
      return reason.kind;
    case 'workspace-missing':
    case 'outside-workspace':
    case 'plugin-missing':
      return 'spawn-failed';
    default:
      return unreachable(reason);
  }
}

/** Makes a switch exhaustive: a new kind that is not handled is a type error. */
export function unreachable(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}
