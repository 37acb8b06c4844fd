// "Run verification": the run streams into the output channel, shows a progress notification, ends with pass or fail.
import * as vscode from 'vscode';
import { type LanguageClient, ResponseError, WorkDoneProgress } from 'vscode-languageclient/node';
import { stripAnsi } from '../../../src/adapters/run-output.js';
import * as say from './core/messages.js';
import type { MilestonesModel } from './core/model.js';
import { METHODS, type RunOutputParams, type RunResult } from './core/wire.js';

const REQUEST_CANCELLED = -32800;
const LINE_SHOWN = 120;

export type RunOutcome = { kind: 'finished'; result: RunResult } | { kind: 'cancelled' } | { kind: 'refused'; message: string };

export class VerificationRunner {
  private readonly listeners = new Map<string, (text: string) => void>();
  private sequence = 0;

  constructor(
    private readonly client: LanguageClient,
    private readonly model: MilestonesModel,
    private readonly output: vscode.OutputChannel,
  ) {}

  isRunning(id: string): boolean {
    return this.listeners.has(id);
  }

  /** milestones/runOutput: into the channel, and the latest line into the progress notification. */
  onOutput(params: RunOutputParams): void {
    // An output channel shows escape codes as they are: drop pytest's colours (FORCE_COLOR, --color=yes).
    const text = stripAnsi(params.text);
    this.output.append(text);
    this.listeners.get(params.id)?.(text);
  }

  /** Runs a milestone's verification (asking which one when no id is given) and tells the student how it went. */
  async run(id?: string): Promise<RunOutcome | undefined> {
    const target = id ?? (await this.pick());
    if (!target) return undefined;
    const name = this.model.milestone(target)?.name ?? target;
    if (this.isRunning(target)) {
      void vscode.window.showInformationMessage(say.runAlreadyGoing(name));
      return undefined;
    }
    this.output.show(true);
    this.output.appendLine(say.runStarted(name, new Date()));
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: say.runTitle(name), cancellable: true }, (progress, cancel) =>
      this.request(target, progress, cancel),
    );
    this.announce(name, outcome);
    return outcome;
  }

  private async request(id: string, progress: vscode.Progress<{ message?: string }>, cancel: vscode.CancellationToken): Promise<RunOutcome> {
    let pending = '';
    const show = (line: string) => progress.report({ message: line.length > LINE_SHOWN ? `${line.slice(0, LINE_SHOWN - 1)}…` : line });
    this.listeners.set(id, (text) => {
      const lines = (pending + text).split(/\r?\n|\r/);
      pending = lines.pop() ?? '';
      const last = [...lines].reverse().find((line) => line.trim() !== '');
      if (last) show(last.trim());
    });
    // Our own token: the sidecar reports on it instead of creating a second progress notification (docs/protocol.md §10).
    const workDoneToken = `tinytorch-milestones-run-${++this.sequence}-${id}`;
    const reports = this.client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
      if (value.kind !== 'end' && value.message) show(value.message);
    });
    try {
      const result = await this.client.sendRequest<RunResult>(METHODS.run, { id, workDoneToken }, cancel);
      return { kind: 'finished', result };
    } catch (error) {
      if (error instanceof ResponseError && error.code === REQUEST_CANCELLED) return { kind: 'cancelled' };
      if (cancel.isCancellationRequested) return { kind: 'cancelled' };
      return { kind: 'refused', message: error instanceof Error ? error.message : String(error) };
    } finally {
      reports.dispose();
      this.listeners.delete(id);
    }
  }

  private announce(name: string, outcome: RunOutcome): void {
    switch (outcome.kind) {
      case 'finished': {
        const { result } = outcome;
        if (result.passed) {
          this.output.appendLine(say.runPassed(name, result));
          void vscode.window.showInformationMessage(say.runPassed(name, result), say.SHOW_TIMELINE).then((choice) => {
            if (choice === say.SHOW_TIMELINE) void vscode.commands.executeCommand('tinytorchMilestones.showTimeline');
          });
        } else {
          this.output.appendLine(say.runFailed(name, result));
          void vscode.window.showErrorMessage(say.runFailed(name, result), say.SHOW_OUTPUT).then((choice) => {
            if (choice === say.SHOW_OUTPUT) this.output.show();
          });
        }
        return;
      }
      case 'cancelled':
        this.output.appendLine(say.runCancelled(name));
        void vscode.window.showWarningMessage(say.runCancelled(name));
        return;
      case 'refused':
        this.output.appendLine(say.runRefused(name, outcome.message));
        void vscode.window.showErrorMessage(say.runRefused(name, outcome.message));
        return;
    }
  }

  private async pick(): Promise<string | undefined> {
    const runnable = this.model.snapshot?.progress.milestones.filter((m) => m.status !== 'locked') ?? [];
    if (runnable.length === 0) {
      void vscode.window.showInformationMessage(say.NOTHING_TO_RUN);
      return undefined;
    }
    const choice = await vscode.window.showQuickPick(
      runnable.map((m) => ({ label: m.name, description: say.STATUS_WORD[m.status], id: m.id })),
      { placeHolder: say.chooseMilestone() },
    );
    return choice?.id;
  }
}
