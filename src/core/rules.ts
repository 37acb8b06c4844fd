// The milestone rules, pure: which milestones unlock, complete or re-lock for a given progress.
import type { CatalogMilestone, MilestoneProgress, MilestoneStatus } from '../../protocol/plain.js';
import type { ActiveCatalog } from './catalog.js';
import type { Progress } from './progress.js';

export interface UnlockChange {
  readonly progress: Progress;
  /** In catalog order. */
  readonly newlyUnlocked: readonly CatalogMilestone[];
}

export function missingModules(milestone: CatalogMilestone, progress: Progress): string[] {
  const completed = new Set(progress.completedModules);
  return milestone.requires.filter((module) => !completed.has(module));
}

/** Unlocks, in catalog order, every milestone whose required modules are all completed and that is not yet unlocked. */
export function unlockReady(catalog: ActiveCatalog, progress: Progress): UnlockChange {
  const unlocked = new Set(progress.unlockedMilestones);
  const newlyUnlocked = catalog.milestones.filter((milestone) => !unlocked.has(milestone.id) && missingModules(milestone, progress).length === 0);
  if (newlyUnlocked.length === 0) return { progress, newlyUnlocked };
  return {
    progress: { ...progress, unlockedMilestones: [...progress.unlockedMilestones, ...newlyUnlocked.map((milestone) => milestone.id)] },
    newlyUnlocked,
  };
}

/**
 * Records a module as completed (once), then re-checks every milestone: the original `check_module_export`.
 * With `ifNew`, an already completed module changes nothing: the original `mark_module_complete`.
 */
export function recordModule(catalog: ActiveCatalog, progress: Progress, module: string, options: { ifNew?: boolean } = {}): UnlockChange {
  const alreadyCompleted = progress.completedModules.includes(module);
  if (alreadyCompleted && options.ifNew) return { progress, newlyUnlocked: [] };
  const recorded = alreadyCompleted ? progress : { ...progress, completedModules: [...progress.completedModules, module] };
  return unlockReady(catalog, recorded);
}

/** Records several modules at once (a rescan), then re-checks once. */
export function recordModules(catalog: ActiveCatalog, progress: Progress, modules: readonly string[]): UnlockChange & { recorded: string[] } {
  const completed = new Set(progress.completedModules);
  const recorded = [...new Set(modules)].filter((module) => !completed.has(module));
  const withModules = recorded.length ? { ...progress, completedModules: [...progress.completedModules, ...recorded] } : progress;
  return { ...unlockReady(catalog, withModules), recorded };
}

/** Records a milestone as completed (once); it need not be unlocked, as in the original. */
export function completeMilestone(progress: Progress, id: string): { progress: Progress; newlyCompleted: boolean } {
  if (progress.completedMilestones.includes(id)) return { progress, newlyCompleted: false };
  return { progress: { ...progress, completedMilestones: [...progress.completedMilestones, id] }, newlyCompleted: true };
}

/** Un-completes a module on purpose and re-locks the milestones that need it and are not completed. */
export function resetModule(catalog: ActiveCatalog, progress: Progress, module: string): { progress: Progress; wasCompleted: boolean; relocked: string[] } {
  const wasCompleted = progress.completedModules.includes(module);
  const completed = new Set(progress.completedMilestones);
  const relocked = catalog.milestones
    .filter((milestone) => milestone.requires.includes(module) && !completed.has(milestone.id) && progress.unlockedMilestones.includes(milestone.id))
    .map((milestone) => milestone.id);
  if (!wasCompleted && relocked.length === 0) return { progress, wasCompleted, relocked };
  return {
    progress: {
      ...progress,
      completedModules: progress.completedModules.filter((name) => name !== module),
      unlockedMilestones: progress.unlockedMilestones.filter((id) => !relocked.includes(id)),
    },
    wasCompleted,
    relocked,
  };
}

export function milestoneStatus(progress: Progress, id: string): MilestoneStatus {
  if (progress.completedMilestones.includes(id)) return 'completed';
  if (progress.unlockedMilestones.includes(id)) return 'unlocked';
  return 'locked';
}

/** "Locked" means not in `unlocked_milestones`, as the original's `can_run_milestone`. */
export function canRun(progress: Progress, id: string): boolean {
  return progress.unlockedMilestones.includes(id);
}

export interface ProgressView {
  readonly milestones: MilestoneProgress[];
  readonly completedModules: string[];
  /** The first milestone, in catalog order, that is not unlocked. */
  readonly next: { id: string; name: string; missing: string[] } | null;
}

export function progressView(catalog: ActiveCatalog, progress: Progress): ProgressView {
  const milestones = catalog.milestones.map((milestone) => {
    const missing = missingModules(milestone, progress);
    return {
      id: milestone.id,
      name: milestone.name,
      description: milestone.description,
      status: milestoneStatus(progress, milestone.id),
      requires: [...milestone.requires],
      met: milestone.requires.length - missing.length,
      missing,
    };
  });
  const nextMilestone = milestones.find((milestone) => !progress.unlockedMilestones.includes(milestone.id));
  return {
    milestones,
    completedModules: [...progress.completedModules],
    next: nextMilestone ? { id: nextMilestone.id, name: nextMilestone.name, missing: nextMilestone.missing } : null,
  };
}

/** Unlocked and not completed milestones, in unlock order; ids the catalog does not know are ignored. */
export function unlockedNotCompleted(catalog: ActiveCatalog, progress: Progress): CatalogMilestone[] {
  const completed = new Set(progress.completedMilestones);
  return [...new Set(progress.unlockedMilestones)]
    .filter((id) => !completed.has(id))
    .map((id) => catalog.milestone(id))
    .filter((milestone): milestone is CatalogMilestone => milestone !== undefined);
}

/** What became unlocked or completed between two snapshots: the transitions to announce once each. */
export function transitions(catalog: ActiveCatalog, before: Progress, after: Progress): { unlocked: CatalogMilestone[]; completed: CatalogMilestone[] } {
  const wasUnlocked = new Set(before.unlockedMilestones);
  const wasCompleted = new Set(before.completedMilestones);
  const known = (ids: readonly string[], seen: Set<string>) => catalog.milestones.filter((milestone) => ids.includes(milestone.id) && !seen.has(milestone.id));
  return { unlocked: known(after.unlockedMilestones, wasUnlocked), completed: known(after.completedMilestones, wasCompleted) };
}
