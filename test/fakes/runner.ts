// A Runner that plays a scripted outcome: optional output lines, then a pass or a failure; honours cancellation.
import { runDetail } from '../../src/core/messages.js';
import { runCause, type RunReason } from '../../src/core/run-reason.js';
import type { Runner, RunJob, RunOutcome } from '../../src/ports.js';

export interface FakeRun {
  readonly output?: ReadonlyArray<{ stream: 'stdout' | 'stderr'; text: string }>;
  /** Why it ends; default: a passing pytest run of the milestone's test. */
  readonly reason?: RunReason;
  readonly exitCode?: number | null;
  /** Resolve this to let the run end; until then it runs (and can be cancelled). */
  readonly until?: Promise<void>;
}

export interface FakeRunner extends Runner {
  /** Every job it was given, in order. */
  readonly jobs: RunJob[];
}

export function createFakeRunner(script: (job: RunJob) => FakeRun = () => ({})): FakeRunner {
  const jobs: RunJob[] = [];
  return {
    jobs,
    async run(job) {
      jobs.push(job);
      const planned = script(job);
      for (const chunk of planned.output ?? []) job.onOutput(chunk);
      const cancelled = new Promise<'cancelled'>((resolve) => {
        if (job.signal.aborted) resolve('cancelled');
        job.signal.addEventListener('abort', () => resolve('cancelled'), { once: true });
      });
      const ended = await Promise.race([cancelled, (planned.until ?? Promise.resolve()).then(() => 'ended' as const)]);
      const verify = job.milestone.verify;
      const reason: RunReason =
        ended === 'cancelled'
          ? { kind: 'cancelled' }
          : (planned.reason ?? ('pytest' in verify ? { kind: 'pytest-passed', node: verify.pytest } : { kind: 'scripts-passed', scripts: verify.scripts }));
      const cause = runCause(reason);
      const outcome: RunOutcome = {
        passed: cause === 'passed',
        exitCode: cause === 'cancelled' ? null : (planned.exitCode ?? (cause === 'passed' ? 0 : 1)),
        signal: cause === 'cancelled' ? 'SIGTERM' : null,
        durationMs: 1,
        outputTail: (planned.output ?? []).map((chunk) => chunk.text).join(''),
        cause,
        detail: runDetail(reason),
      };
      return outcome;
    },
  };
}
