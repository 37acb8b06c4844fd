// The Runner adapter: verifies a milestone by running its pytest test or its scripts in the workspace (SPEC §5).
import { existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Runner, RunJob, RunOutcome } from '../ports.js';
import { runChild, type ChildResult } from './run-child.js';
import * as say from './run-messages.js';
import { LineBuffer, OutputTail, stripAnsi } from './run-output.js';

export interface RunnerOptions {
  /** Between SIGTERM and SIGKILL to a process group (default 1500 ms). */
  readonly graceMs?: number;
  /** outputTail keeps this many UTF-8 bytes at most (default 4096). */
  readonly tailBytes?: number;
}

export const PLUGIN_MODULE = 'tinytorch_honest_returns';
/** Where the plugin may sit relative to this code: the bundle (dist/, or a chunk folder in it), then the sources. */
const PLUGIN_DIRS = ['./pytest/', '../pytest/', '../src/adapters/pytest/', '../../src/adapters/pytest/'];

/** The folder holding the honest-returns plugin, for PYTHONPATH; null when the installation lacks it. */
export function pytestPluginDir(base: string | URL = import.meta.url): string | null {
  for (const relative of PLUGIN_DIRS) {
    const dir = fileURLToPath(new URL(relative, base));
    if (existsSync(join(dir, `${PLUGIN_MODULE}.py`))) return dir;
  }
  return null;
}

export function createRunner(options: RunnerOptions = {}): Runner {
  const graceMs = options.graceMs ?? 1500;
  const tailBytes = options.tailBytes ?? 4096;
  return { run: (job) => run(job, graceMs, tailBytes) };
}

/** Reads pytest's output for the few lines that explain an outcome. */
class PytestScan {
  reason: string | null = null;
  errorLine: string | null = null;
  returnedFalse = false;
  collectionErrors = false;

  see(text: string): void {
    for (const line of stripAnsi(text).split('\n')) {
      if (line.includes('returned False (honest returns)')) this.returnedFalse = true;
      if (/errors? during collection/.test(line)) this.collectionErrors = true;
      const exception = /^E\s+(\w[\w.]*(?:Error|Exception)\b.*)$/.exec(line);
      if (exception && this.reason === null) this.reason = exception[1]!.trim();
      const error = /^ERROR: (.+)$/.exec(line);
      if (error && this.errorLine === null) this.errorLine = error[1]!.trim();
    }
  }
}

async function run(job: RunJob, graceMs: number, tailBytes: number): Promise<RunOutcome> {
  const started = performance.now();
  const tail = new OutputTail(tailBytes);
  const scan = new PytestScan();
  const finish = (outcome: Omit<RunOutcome, 'durationMs' | 'outputTail'>): RunOutcome => ({
    ...outcome,
    durationMs: Math.round(performance.now() - started),
    outputTail: tail.text,
  });
  const refused = (detail: string) => finish({ passed: false, exitCode: null, signal: null, cause: 'spawn-failed', detail });
  if (!isDirectory(job.workspace)) return refused(say.workspaceMissing(job.workspace));

  /** Runs one child, line-buffering its output into onOutput, the tail and the scan. */
  const child = async (args: string[], input: string | null, env: Record<string, string>): Promise<ChildResult> => {
    const lines = {
      stdout: new LineBuffer((text) => deliver('stdout', text)),
      stderr: new LineBuffer((text) => deliver('stderr', text)),
    };
    function deliver(stream: 'stdout' | 'stderr', text: string) {
      tail.append(stripAnsi(text)); // the tail is a summary for JSON clients: no colour codes
      scan.see(text);
      job.onOutput({ stream, text });
    }
    const result = await runChild({
      file: job.python,
      args,
      cwd: job.workspace,
      env: { PYTHONUNBUFFERED: '1', ...env },
      input,
      deadline: started + job.timeoutMs,
      signal: job.signal,
      graceMs,
      onData: (stream, bytes) => lines[stream].write(bytes),
    });
    lines.stdout.end();
    lines.stderr.end();
    return result;
  };
  /** The outcome of a child that did not simply exit: not started, timed out or cancelled. */
  const interrupted = (result: ChildResult): RunOutcome | null => {
    const { exitCode, signal } = result;
    if (result.spawnError) return refused(say.spawnFailed(job.python, result.spawnError.code, result.spawnError.message));
    if (result.stopped === 'timeout') return finish({ passed: false, exitCode, signal, cause: 'timeout', detail: say.timedOut(job.timeoutMs) });
    if (result.stopped === 'cancelled') return finish({ passed: false, exitCode, signal, cause: 'cancelled', detail: say.CANCELLED });
    return null;
  };

  const verify = job.milestone.verify;
  if ('pytest' in verify) {
    const node = verify.pytest;
    const args = ['-m', 'pytest', node, '-v', '--tb=short'];
    const env: Record<string, string> = {};
    if (job.honestReturns) {
      const dir = pytestPluginDir();
      if (dir === null) return refused(say.pluginMissing(PLUGIN_DIRS.map((relative) => fileURLToPath(new URL(relative, import.meta.url)))));
      args.push('-p', PLUGIN_MODULE);
      env.PYTHONPATH = [dir, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
    }
    const result = await child(args, null, env);
    const early = interrupted(result);
    if (early) return early;
    const { exitCode, signal } = result;
    if (exitCode === 0) return finish({ passed: true, exitCode, signal, cause: 'passed', detail: say.pytestPassed(node) });
    if (exitCode === 4 || exitCode === 5 || (exitCode === 2 && scan.collectionErrors)) {
      const reason = scan.reason ?? scan.errorLine ?? (exitCode === 5 ? 'no test matched it' : null);
      return finish({ passed: false, exitCode, signal, cause: 'not-collected', detail: say.notCollected(node, reason, exitCode) });
    }
    if (scan.returnedFalse) return finish({ passed: false, exitCode, signal, cause: 'returned-false', detail: say.returnedFalse(node) });
    return finish({ passed: false, exitCode, signal, cause: 'failed', detail: say.exitedWith(`pytest ${node}`, exitCode, signal) });
  }

  let last: ChildResult | null = null;
  for (const script of verify.scripts) {
    last = await child([script], verify.stdin ?? null, {});
    const early = interrupted(last);
    if (early) return early;
    if (last.exitCode !== 0) {
      return finish({ passed: false, exitCode: last.exitCode, signal: last.signal, cause: 'failed', detail: say.exitedWith(script, last.exitCode, last.signal) });
    }
  }
  return finish({ passed: true, exitCode: last?.exitCode ?? 0, signal: null, cause: 'passed', detail: say.scriptsPassed(verify.scripts) });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
