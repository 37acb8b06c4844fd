// The extension's composition root: the sidecar client, the model, the view, the timeline, the status bar, the toasts.
import * as vscode from 'vscode';
import { State } from 'vscode-languageclient/node';
import { CLIENT_ID, createClient } from './client.js';
import { DateStore, readTitoDates } from './core/dates.js';
import * as say from './core/messages.js';
import { MilestonesModel } from './core/model.js';
import { type RunOutcome, VerificationRunner } from './run.js';
import { createStatusBar } from './status-bar.js';
import { TimelinePanel } from './timeline.js';
import { MilestonesTree } from './tree.js';
import { type CompletedParams, METHODS, type ProgressResult, type RunOutputParams, type UnlockedParams } from './core/wire.js';

const VIEW_ID = 'tinytorchMilestones.milestones';
/** The extension's own UI commands; the sidecar's `tinytorch.milestones.*` commands are registered by vscode-languageclient. */
export const COMMANDS = {
  runVerification: 'tinytorchMilestones.runVerification',
  showTimeline: 'tinytorchMilestones.showTimeline',
  refresh: 'tinytorchMilestones.refresh',
  showView: 'tinytorchMilestones.showView',
  showOutput: 'tinytorchMilestones.showOutput',
  rescan: 'tinytorchMilestones.rescan',
} as const;

/** What activate returns: used by the integration tests, and by anyone scripting the extension. */
export interface MilestonesApi {
  readonly model: MilestonesModel;
  readonly client: ReturnType<typeof createClient>;
  readonly timelineHtml: () => string | undefined;
  readonly run: (id: string) => Promise<RunOutcome | undefined>;
}

export async function activate(context: vscode.ExtensionContext): Promise<MilestonesApi> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const output = vscode.window.createOutputChannel(say.OUTPUT_CHANNEL);
  const client = createClient(context, folder);
  const settings = () => vscode.workspace.getConfiguration(CLIENT_ID, folder?.uri);
  const dates = new DateStore(context.globalState, () => {
    const catalog = (client.initializeResult?.capabilities.experimental as { milestones?: { catalog?: string } } | undefined)?.milestones?.catalog;
    return `${catalog ?? 'unknown'}|${settings().get<string>('progressFile')?.trim() || process.env.TINYTORCH_PROGRESS_FILE || 'default'}`;
  });
  const model = new MilestonesModel(
    () => client.sendRequest<ProgressResult>(METHODS.progress, {}),
    dates,
    () => (folder ? readTitoDates(folder.uri.fsPath) : Promise.resolve({})),
  );
  const refresh = () =>
    model.refresh().catch((error: unknown) => {
      if (client.state === State.Running) output.appendLine(say.sidecarUnavailable(error instanceof Error ? error.message : String(error)));
    });
  const runner = new VerificationRunner(client, model, output);
  const timeline = new TimelinePanel(model);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: new MilestonesTree(model), showCollapseAll: true });
  model.onDidChange(({ progress }) => {
    view.description = `${progress.milestones.filter((m) => m.status === 'completed').length}/${progress.milestones.length}`;
  });

  context.subscriptions.push(
    output,
    client,
    timeline,
    view,
    createStatusBar(model, COMMANDS.showView),
    vscode.commands.registerCommand(COMMANDS.runVerification, (target?: string | { milestone?: { id: string } }) =>
      runner.run(typeof target === 'string' ? target : target?.milestone?.id),
    ),
    vscode.commands.registerCommand(COMMANDS.showTimeline, () => timeline.show()),
    vscode.commands.registerCommand(COMMANDS.refresh, () => refresh()),
    vscode.commands.registerCommand(COMMANDS.showView, () => vscode.commands.executeCommand(`${VIEW_ID}.focus`)),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => output.show()),
    vscode.commands.registerCommand(COMMANDS.rescan, async () => {
      const result = await client.sendRequest<{ text: string }>(METHODS.rescan, {});
      void vscode.window.showInformationMessage(result.text);
      await refresh();
    }),
    client.onNotification(METHODS.unlocked, async (params: UnlockedParams) => {
      await dates.record(params.id, 'unlocked', new Date());
      void refresh();
      void vscode.window.showInformationMessage(say.unlockedToast(params), say.RUN_VERIFICATION, say.SHOW_TIMELINE).then((choice) => {
        if (choice === say.RUN_VERIFICATION) void runner.run(params.id);
        if (choice === say.SHOW_TIMELINE) timeline.show();
      });
    }),
    client.onNotification(METHODS.completed, async (params: CompletedParams) => {
      // A run started here announces its own result; a completion from elsewhere (tito, a terminal) gets a toast.
      // Decided before any await: the run's answer follows this notification at once.
      const fromOurRun = runner.isRunning(params.id);
      await dates.record(params.id, 'completed', new Date());
      void refresh();
      if (!fromOurRun) void vscode.window.showInformationMessage(say.completedToast(params.name));
    }),
    client.onNotification(METHODS.runOutput, (params: RunOutputParams) => runner.onOutput(params)),
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Running) void refresh();
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(CLIENT_ID) && !event.affectsConfiguration(`${CLIENT_ID}.trace`)) void client.restart();
    }),
  );

  try {
    await client.start();
    await refresh();
  } catch (error) {
    void vscode.window.showErrorMessage(say.sidecarUnavailable(error instanceof Error ? error.message : String(error)));
  }
  return { model, client, timelineHtml: () => timeline.html, run: (id) => runner.run(id) };
}

export function deactivate(): void {}
