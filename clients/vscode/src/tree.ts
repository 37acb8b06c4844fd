// The Milestones view: each milestone with its status icon, met/n modules and what is missing; the next one highlighted.
import * as vscode from 'vscode';
import { NEXT_WORD, STATUS_WORD, dateLabel, missingLabel, modulesLabel } from './core/messages.js';
import type { MilestonesModel, Snapshot } from './core/model.js';
import type { MilestoneProgress } from './core/wire.js';

type Node = { kind: 'milestone'; milestone: MilestoneProgress } | { kind: 'module'; module: string; done: boolean; parent: string };

const ICONS: Record<MilestoneProgress['status'], vscode.ThemeIcon> = {
  completed: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  unlocked: new vscode.ThemeIcon('unlock', new vscode.ThemeColor('charts.blue')),
  locked: new vscode.ThemeIcon('lock', new vscode.ThemeColor('disabledForeground')),
};
const NEXT_ICON = new vscode.ThemeIcon('target', new vscode.ThemeColor('charts.yellow'));

export class MilestonesTree implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly model: MilestonesModel) {
    model.onDidChange(() => this.changed.fire(undefined));
  }

  getChildren(node?: Node): Node[] {
    const snapshot = this.model.snapshot;
    if (!snapshot) return [];
    if (!node) return snapshot.progress.milestones.map((milestone) => ({ kind: 'milestone', milestone }));
    if (node.kind === 'module') return [];
    const done = new Set(snapshot.progress.completedModules);
    return node.milestone.requires.map((module) => ({ kind: 'module', module, done: done.has(module), parent: node.milestone.id }));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'module') {
      const item = new vscode.TreeItem(node.module, vscode.TreeItemCollapsibleState.None);
      item.id = `${node.parent}/${node.module}`;
      item.iconPath = new vscode.ThemeIcon(node.done ? 'check' : 'circle-large-outline');
      item.description = node.done ? 'exported' : 'not exported yet';
      return item;
    }
    return milestoneItem(node.milestone, this.model.snapshot as Snapshot);
  }
}

function milestoneItem(milestone: MilestoneProgress, snapshot: Snapshot): vscode.TreeItem {
  const isNext = snapshot.progress.next?.id === milestone.id;
  const label: vscode.TreeItemLabel = isNext ? { label: milestone.name, highlights: [[0, milestone.name.length]] } : { label: milestone.name };
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = milestone.id;
  item.iconPath = isNext ? NEXT_ICON : ICONS[milestone.status];
  const dates = snapshot.dates[milestone.id] ?? {};
  const when =
    milestone.status === 'completed' && dates.completed
      ? dateLabel('completed', dates.completed)
      : milestone.status === 'unlocked' && dates.unlocked
        ? dateLabel('unlocked', dates.unlocked)
        : '';
  item.description = [isNext ? `${NEXT_WORD} ·` : '', modulesLabel(milestone), missingLabel(milestone.missing), when ? `· ${when}` : ''].filter(Boolean).join(' ');
  item.contextValue = `milestone.${milestone.status}`;
  const tooltip = new vscode.MarkdownString(`**${milestone.name}**: ${STATUS_WORD[milestone.status]}\n\n${milestone.description}`);
  if (milestone.missing.length > 0) tooltip.appendMarkdown(`\n\n${missingLabel(milestone.missing)}`);
  item.tooltip = tooltip;
  item.accessibilityInformation = { label: `${milestone.name}, ${STATUS_WORD[milestone.status]}, ${modulesLabel(milestone)}${isNext ? `, ${NEXT_WORD}` : ''}` };
  return item;
}
