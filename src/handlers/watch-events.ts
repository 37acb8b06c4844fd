// What the watchers' events mean: a module seen exported (or listed by tito) unlocks, a changed progress file is news.
import { forgetPanels, owePanels } from '../core/pending-panels.js';
import { completeMilestone, recordModules, resetModule } from '../core/rules.js';
import type { HandlerContext } from '../ports.js';
import { announceChange } from './announcer.js';

/** Records modules a watcher saw completed (cause `export`), and owes their unlock panels to tito's checkExport. */
export async function modulesSeen(context: HandlerContext, modules: readonly string[]): Promise<void> {
  const change = await context.store.update((current, pending) => {
    const { progress, newlyUnlocked } = recordModules(context.catalog, current, modules);
    const milestones = newlyUnlocked.map((milestone) => milestone.id);
    return { progress, value: null, pending: owePanels(pending, { milestones, modules, now: context.now() }) };
  });
  announceChange(context.announcer, change, 'export');
}

/** Another process changed the progress file: announce what this connection has not seen. Its own writes show nothing new, so they do not echo. */
export async function progressFileChanged(context: HandlerContext): Promise<void> {
  context.announcer.observe(await context.store.read(), 'external');
}

/** tito removed modules from its progress.json (its `module reset`): un-complete them and re-lock what needs them, as milestones/reset does. */
export async function modulesUnlisted(context: HandlerContext, modules: readonly string[]): Promise<void> {
  const change = await context.store.update((current, pending) => {
    let progress = current;
    const relocked: string[] = [];
    for (const module of modules) {
      const reset = resetModule(context.catalog, progress, module);
      progress = reset.progress;
      relocked.push(...reset.relocked);
    }
    return { progress, value: null, pending: forgetPanels(pending, relocked) };
  });
  announceChange(context.announcer, change, 'external');
}

/** tito's own `tito milestones run` completed milestones (its `.tito/milestones.json`). */
export async function milestonesCompletedElsewhere(context: HandlerContext, ids: readonly string[]): Promise<void> {
  const change = await context.store.update((current) => ({
    progress: ids.reduce((progress, id) => completeMilestone(progress, id).progress, current),
    value: null,
  }));
  announceChange(context.announcer, change, 'external');
}
