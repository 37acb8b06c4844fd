// The timeline webview panel: one at a time, redrawn whenever the model changes.
import * as vscode from 'vscode';
import { TIMELINE_TITLE } from './core/messages.js';
import type { MilestonesModel } from './core/model.js';
import { renderTimeline } from './core/timeline-html.js';

export class TimelinePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly subscription: { dispose(): void };

  constructor(private readonly model: MilestonesModel) {
    this.subscription = model.onDidChange(() => this.draw());
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    this.panel = vscode.window.createWebviewPanel('tinytorchMilestones.timeline', TIMELINE_TITLE, vscode.ViewColumn.Active, {
      enableScripts: false,
      retainContextWhenHidden: false,
    });
    this.panel.onDidDispose(() => {
      this.panel = undefined;
    });
    this.draw();
  }

  /** The page as drawn now, for tests. */
  get html(): string | undefined {
    return this.panel?.webview.html;
  }

  private draw(): void {
    const snapshot = this.model.snapshot;
    if (!this.panel || !snapshot) return;
    this.panel.webview.html = renderTimeline(snapshot.progress, snapshot.dates, this.panel.webview.cspSource);
  }

  dispose(): void {
    this.subscription.dispose();
    this.panel?.dispose();
  }
}
