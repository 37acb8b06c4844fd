// milestones/run: verify a milestone by running it, streaming its output; a pass completes the milestone.
import { CancelledError, MilestoneError, type RunRequest } from '../../protocol/plain.js';
import { createOutputThrottle } from '../core/output-throttle.js';
import { lockedText, noWorkspaceText, RUN_PROGRESS_END, runCancelledText, runInProgressText, runText, verifyingTitle } from '../core/messages.js';
import { canRun, completeMilestone, missingModules } from '../core/rules.js';
import { runTimeoutFor } from '../core/config.js';
import { announceChange } from './announcer.js';
import { requireMilestone, type Handler } from './handler.js';

const timers = {
  now: () => Date.now(),
  schedule: (callback: () => void, delayMs: number) => {
    const timer = setTimeout(callback, delayMs);
    return () => clearTimeout(timer);
  },
};

export const run: Handler<typeof RunRequest> = async (params, context, signal) => {
  const milestone = requireMilestone(context, params.id);
  const current = await context.store.read();
  context.announcer.observe(current, 'external');
  if (!canRun(current, milestone.id)) {
    const missing = missingModules(milestone, current);
    throw new MilestoneError('milestone-locked', lockedText(milestone, missing), { id: milestone.id, missing });
  }
  if (context.runsInProgress.has(milestone.id)) throw new MilestoneError('run-in-progress', runInProgressText(milestone), { id: milestone.id });
  const workspace = context.config.workspace;
  if (!workspace) throw new MilestoneError('no-workspace', noWorkspaceText(milestone), {});
  // Cancelled while waiting (or dispatched after end of input): start nothing.
  if (signal.aborted) throw new CancelledError(runCancelledText(milestone));

  context.runsInProgress.add(milestone.id);
  // The editor's progress bar cancels the run as $/cancelRequest does (window/workDoneProgress/cancel).
  const cancelled = new AbortController();
  const runSignal = AbortSignal.any([signal, cancelled.signal]);
  const bar = context.notifier.progressBar(params.workDoneToken, () => cancelled.abort());
  let ending: keyof typeof RUN_PROGRESS_END = 'failed';
  const throttle = createOutputThrottle({
    scheduler: timers,
    emit: (chunk) => {
      context.notifier.runOutput({ id: milestone.id, ...chunk });
      const line = chunk.text.trimEnd().split('\n').pop()?.trim().slice(0, 120);
      if (line) bar?.report({ kind: 'report', message: line });
    },
  });
  try {
    bar?.report({ kind: 'begin', title: verifyingTitle(milestone), cancellable: true });
    const runner = await context.runner();
    const outcome = await runner.run({
      milestone,
      workspace,
      python: context.config.python,
      timeoutMs: runTimeoutFor(context.config, milestone, params.timeoutMs),
      honestReturns: context.catalog.honestReturns,
      signal: runSignal,
      onOutput: (chunk) => throttle.push(chunk),
    });
    throttle.close();
    // A cancelled run is answered -32800 by the server (the signal is aborted); its group is already gone.
    if (outcome.cause === 'cancelled' || runSignal.aborted) {
      ending = 'cancelled';
      throw new CancelledError(outcome.detail);
    }
    let newlyCompleted = false;
    if (outcome.passed) {
      const change = await context.store.update((progressNow) => {
        const completed = completeMilestone(progressNow, milestone.id);
        return { progress: completed.progress, value: completed.newlyCompleted };
      });
      announceChange(context.announcer, change, 'checkExport');
      newlyCompleted = change.value;
    }
    ending = outcome.passed ? 'passed' : 'failed';
    return {
      id: milestone.id,
      passed: outcome.passed,
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      durationMs: outcome.durationMs,
      newlyCompleted,
      outputTail: outcome.outputTail,
      text: runText(milestone, outcome, newlyCompleted, context.config.python),
    };
  } finally {
    throttle.close();
    // Before the answer, whichever way the run ended: a bar is never left spinning.
    bar?.report({ kind: 'end', message: RUN_PROGRESS_END[ending] });
    bar?.close();
    context.runsInProgress.delete(milestone.id);
  }
};
