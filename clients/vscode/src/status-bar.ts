// The status bar item "Milestones 2/6", which opens the Milestones view.
import * as vscode from 'vscode';
import { STATUS_BAR_STARTING, statusBarText, statusBarTooltip } from './core/messages.js';
import type { MilestonesModel } from './core/model.js';

export function createStatusBar(model: MilestonesModel, command: string): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('tinytorchMilestones.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'TinyTorch Milestones';
  item.text = STATUS_BAR_STARTING;
  item.command = command;
  item.show();
  const subscription = model.onDidChange(({ progress }) => {
    const completed = progress.milestones.filter((m) => m.status === 'completed').length;
    item.text = statusBarText(completed, progress.milestones.length);
    item.tooltip = statusBarTooltip(progress.milestones);
  });
  return {
    dispose: () => {
      subscription.dispose();
      item.dispose();
    },
  };
}
