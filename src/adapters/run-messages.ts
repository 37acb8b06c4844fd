// The sentences a run's outcome gives a person (RunOutcome.detail); pure, so it can move to src/core/messages.ts.

export function pytestPassed(node: string): string {
  return `pytest passed ${node}.`;
}

export function scriptsPassed(scripts: readonly string[]): string {
  return scripts.length === 1 ? `${scripts[0]} exited with code 0.` : `All ${scripts.length} scripts exited with code 0.`;
}

/** `what` is `pytest <node>` or a script's path. */
export function exitedWith(what: string, exitCode: number | null, signal: string | null): string {
  if (signal !== null) return `${what} was ended by ${signal}.`;
  return `${what} failed with exit code ${exitCode}.`;
}

export function returnedFalse(node: string): string {
  return `${node} returned False, which counts as a failure when honest returns are on.`;
}

export function notCollected(node: string, reason: string | null, exitCode: number | null): string {
  const why = reason ?? `pytest exited with code ${exitCode} before running it`;
  return `pytest could not collect ${node}: ${/[.!?]$/.test(why) ? why : `${why}.`}`;
}

export function timedOut(timeoutMs: number): string {
  return `The run did not finish within ${formatDuration(timeoutMs)}, so it was stopped along with every process it started.`;
}

export const CANCELLED = 'The run was cancelled, and every process it started was stopped.';

export function spawnFailed(python: string, code: string, message: string): string {
  if (code === 'ENOENT') return `Could not start Python "${python}": it was not found (set the python option, --python or TINYTORCH_PYTHON).`;
  if (code === 'EACCES') return `Could not start Python "${python}": permission denied.`;
  const first = message.split('\n')[0] ?? code;
  return `Could not start Python "${python}": ${/[.!?]$/.test(first) ? first : `${first}.`}`;
}

export function workspaceMissing(workspace: string): string {
  return `Could not run in the workspace ${workspace}: it is not an existing folder.`;
}

export function pluginMissing(looked: readonly string[]): string {
  return `The honest-returns pytest plugin is missing from this installation (looked in ${looked.join(', ')}).`;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 120) return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
  return `${Math.round(seconds / 60)} min`;
}
