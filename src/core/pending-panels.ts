// Unlock panels a watcher owes to the next checkExport of the same module, so tito's own call still shows them.
//
// Why: `tito module complete` exports the module (the file is written twice) and then calls checkExport,
// usually through the Python client, that is from a sidecar process of its own. An editor's sidecar that
// watches the export directory often records the module first and unlocks the milestone; tito's call would
// then find nothing new, and the student's terminal would show no panel. So an unlock made by a watcher also
// leaves an entry "milestone X is owed to the next checkExport of module M". checkExport claims the entries of
// its module under the same lock as its own progress change, and returns them in `newlyUnlocked`: exactly
// once, whichever process calls. An entry expires after PENDING_PANEL_TTL_MS (tito calls within seconds), and
// a milestone that is no longer unlocked (a reset) is not returned. An entry also ends when its milestone is
// re-locked by a reset or unlocked by a checkExport of another module, which shows it there. The progress file keeps the original
// format: the entries live in a file of their own beside it (see adapters/store.ts).
import type { Progress } from './progress.js';

export interface PendingPanel {
  readonly milestone: string;
  /** The modules whose recording unlocked it: a checkExport of any of them claims it. */
  readonly modules: readonly string[];
  /** When it was owed, in ms since the epoch. */
  readonly at: number;
}

export type PendingPanels = readonly PendingPanel[];

export const NO_PENDING_PANELS: PendingPanels = [];
export const PENDING_PANEL_TTL_MS = 10 * 60 * 1000;

const isLive = (panel: PendingPanel, now: number) => now - panel.at < PENDING_PANEL_TTL_MS;

/** Owes each milestone to the next checkExport of any of `modules`; a newer entry replaces an older one. */
export function owePanels(pending: PendingPanels, owed: { milestones: readonly string[]; modules: readonly string[]; now: number }): PendingPanels {
  const { milestones, modules, now } = owed;
  if (milestones.length === 0 || modules.length === 0) return pending;
  const kept = pending.filter((panel) => isLive(panel, now) && !milestones.includes(panel.milestone));
  return [...kept, ...milestones.map((milestone) => ({ milestone, modules: [...modules], at: now }))];
}

/** Takes the entries owed to `module`: the milestones still unlocked and not yet completed to show, and what stays pending. */
export function claimPanels(pending: PendingPanels, claim: { module: string; progress: Progress; now: number }): { milestones: string[]; pending: PendingPanels } {
  const { module, progress, now } = claim;
  const live = pending.filter((panel) => isLive(panel, now));
  const unlocked = new Set(progress.unlockedMilestones);
  // "Unlocked! Run: tito milestones run X" is stale news once X is completed (run in the editor meanwhile).
  const completed = new Set(progress.completedMilestones);
  const news = (milestone: string) => unlocked.has(milestone) && !completed.has(milestone);
  const milestones = live.filter((panel) => panel.modules.includes(module) && news(panel.milestone)).map((panel) => panel.milestone);
  return { milestones, pending: live.filter((panel) => !panel.modules.includes(module)) };
}

/** Drops the entries of milestones whose unlock was just shown (checkExport) or undone (a reset): owing them again would show a stale panel. */
export function forgetPanels(pending: PendingPanels, milestones: readonly string[]): PendingPanels {
  if (milestones.length === 0) return pending;
  return pending.filter((panel) => !milestones.includes(panel.milestone));
}

/** A file that does not parse owes nothing: a lost panel is better than a crash. */
export function parsePendingPanels(text: string): PendingPanels {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return NO_PENDING_PANELS;
  }
  const panels = (value as { panels?: unknown } | null)?.panels;
  if (!Array.isArray(panels)) return NO_PENDING_PANELS;
  return panels.filter(
    (panel): panel is PendingPanel =>
      typeof panel?.milestone === 'string' && Array.isArray(panel.modules) && panel.modules.every((module: unknown) => typeof module === 'string') && typeof panel.at === 'number',
  );
}

export function serializePendingPanels(pending: PendingPanels): string {
  return JSON.stringify({ panels: pending }, null, 2);
}
