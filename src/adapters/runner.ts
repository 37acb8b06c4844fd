// The Runner adapter: verifies a milestone by running its pytest test or its scripts in the workspace (docs/protocol.md §6).
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Runner, RunJob, RunOutcome } from '../ports.js';
import { parseOutcome, shortfall, type RecordedOutcome } from './pytest-outcome.js';
import { runChild, type ChildResult } from './run-child.js';
import { runDetail } from '../core/messages.js';
import { runCause, type RunReason } from '../core/run-reason.js';
import { LineBuffer, OutputTail, stripAnsi } from './run-output.js';

export interface RunnerOptions {
  /** Between SIGTERM and SIGKILL to a process group (default 1500 ms). */
  readonly graceMs?: number;
  /** outputTail keeps this many UTF-8 bytes at most (default 4096). */
  readonly tailBytes?: number;
  /** Over this process's environment for every run (a daemon session's client environment); undefined removes a variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export const PLUGIN_MODULE = 'tinytorch_honest_returns';
/** Always loaded: records each test's real outcome, so a skip, an xfail or an early os._exit never passes. */
export const OUTCOME_PLUGIN_MODULE = 'tinytorch_run_outcome';
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

/** Outcome folders of runs still going: removed even when the process exits first (Ctrl-C, SIGTERM). */
const outcomeFolders = new Set<string>();
process.on('exit', () => {
  for (const folder of outcomeFolders) rmSync(folder, { recursive: true, force: true });
});

export function createRunner(options: RunnerOptions = {}): Runner {
  const graceMs = options.graceMs ?? 1500;
  const tailBytes = options.tailBytes ?? 4096;
  const baseEnv = options.env ?? {};
  return { run: (job) => run(job, graceMs, tailBytes, baseEnv) };
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

async function run(job: RunJob, graceMs: number, tailBytes: number, baseEnv: Readonly<Record<string, string | undefined>>): Promise<RunOutcome> {
  const started = performance.now();
  const tail = new OutputTail(tailBytes);
  const scan = new PytestScan();
  const finish = (outcome: Omit<RunOutcome, 'durationMs' | 'outputTail'>): RunOutcome => ({
    ...outcome,
    durationMs: Math.round(performance.now() - started),
    outputTail: tail.text,
  });
  /** The outcome for a reason: its cause for clients, its sentence for people. */
  const end = (passed: boolean, exitCode: number | null, signal: string | null, reason: RunReason) =>
    finish({ passed, exitCode, signal, cause: runCause(reason), detail: runDetail(reason) });
  const refused = (reason: RunReason) => end(false, null, null, reason);
  if (!isDirectory(job.workspace)) return refused({ kind: 'workspace-missing', workspace: job.workspace });

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
      env: { ...baseEnv, PYTHONUNBUFFERED: '1', ...env } as Record<string, string>,
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
    if (result.spawnError) return refused({ kind: 'spawn-failed', python: job.python, code: result.spawnError.code, message: result.spawnError.message });
    const survivors = result.survivors.length ? { survivors: result.survivors } : {};
    if (result.stopped === 'timeout') return end(false, exitCode, signal, { kind: 'timeout', timeoutMs: job.timeoutMs, ...survivors });
    if (result.stopped === 'cancelled') return end(false, exitCode, signal, { kind: 'cancelled', ...survivors });
    return null;
  };

  const verify = job.milestone.verify;
  if ('pytest' in verify) {
    const node = verify.pytest;
    const outside = outsideWorkspace(job.workspace, node.split('::')[0]!);
    if (outside) return refused(outside);
    const dir = pytestPluginDir();
    if (dir === null) return refused({ kind: 'plugin-missing', looked: PLUGIN_DIRS.map((relative) => fileURLToPath(new URL(relative, import.meta.url))) });
    const args = ['-m', 'pytest', node, '-v', '--tb=short', '-p', OUTCOME_PLUGIN_MODULE];
    if (job.honestReturns) args.push('-p', PLUGIN_MODULE);
    const record = mkdtempSync(join(tmpdir(), 'tinytorch-milestones-outcome-'));
    outcomeFolders.add(record);
    const outcomeFile = join(record, 'outcome.jsonl');
    const env = {
      PYTHONPATH: [dir, 'PYTHONPATH' in baseEnv ? baseEnv.PYTHONPATH : process.env.PYTHONPATH].filter(Boolean).join(delimiter),
      TINYTORCH_MILESTONES_OUTCOME: outcomeFile,
    };
    let result: ChildResult;
    let recorded: RecordedOutcome | null;
    try {
      result = await child(args, null, env);
      recorded = existsSync(outcomeFile) ? parseOutcome(readFileSync(outcomeFile, 'utf8')) : null;
    } finally {
      rmSync(record, { recursive: true, force: true });
      outcomeFolders.delete(record);
    }
    const early = interrupted(result);
    if (early) return early;
    const { exitCode, signal } = result;
    if (exitCode === 4 || exitCode === 5 || (exitCode === 2 && scan.collectionErrors)) {
      const reason = scan.reason ?? scan.errorLine ?? (exitCode === 5 ? 'no test matched it' : null);
      return end(false, exitCode, signal, { kind: 'not-collected', node, reason, exitCode });
    }
    // pytest's exit status is not enough: only the plugin's record says that every selected test really ran and passed.
    const short = shortfall(recorded);
    if (exitCode === 0 && short === null) return end(true, exitCode, signal, { kind: 'pytest-passed', node });
    if (short?.kind === 'not-run') return end(false, exitCode, signal, short);
    if (short?.kind === 'no-outcome') return end(false, exitCode, signal, { kind: 'no-outcome', node, exitCode, signal });
    if (scan.returnedFalse) return end(false, exitCode, signal, { kind: 'returned-false', node });
    return end(false, exitCode, signal, { kind: 'exited', what: `pytest ${node}`, exitCode, signal });
  }

  for (const script of verify.scripts) {
    const outside = outsideWorkspace(job.workspace, script);
    if (outside) return refused(outside);
  }
  let last: ChildResult | null = null;
  for (const script of verify.scripts) {
    last = await child([script], verify.stdin ?? null, {});
    const early = interrupted(last);
    if (early) return early;
    if (last.exitCode !== 0) {
      return end(false, last.exitCode, last.signal, { kind: 'exited', what: script, exitCode: last.exitCode, signal: last.signal });
    }
  }
  return end(true, last?.exitCode ?? 0, null, { kind: 'scripts-passed', scripts: verify.scripts });
}

/**
 * The catalog refuses absolute paths and `..`, but a symlink inside the workspace can still point elsewhere: both
 * the path as written and the file it resolves to must be inside the workspace. A missing file is left to Python
 * or pytest to report.
 */
function outsideWorkspace(workspace: string, relative: string): RunReason | null {
  const inside = (root: string, path: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
  const written = resolve(workspace, relative);
  if (!inside(resolve(workspace), written)) return { kind: 'outside-workspace', path: relative, resolved: written, workspace };
  try {
    const resolved = realpathSync(written);
    return inside(realpathSync(workspace), resolved) ? null : { kind: 'outside-workspace', path: relative, resolved, workspace };
  } catch {
    return null;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
