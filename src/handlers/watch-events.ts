// What the watchers' events mean: a module seen exported (or listed by tito) unlocks, a changed progress file is news.
import { owePanels } from '../core/pending-panels.js';
import { recordModules } from '../core/rules.js';
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
