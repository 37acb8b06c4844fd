// milestones/checkExport: record a module, unlock what it completes, announce it.
import type { CheckExportRequest } from '../../protocol/plain.js';
import { checkExportText, notInCatalogText, unlockMessage } from '../core/messages.js';
import { catalogLabel } from '../core/catalog.js';
import { nearestModule } from '../core/modules.js';
import { claimPanels, forgetPanels } from '../core/pending-panels.js';
import { recordModule } from '../core/rules.js';
import { announceChange } from './announcer.js';
import { requireModule, type Handler } from './handler.js';

export const checkExport: Handler<typeof CheckExportRequest> = async (params, context) => {
  const module = requireModule(context, params.module);
  const change = await context.store.update((current, pending) => {
    const { progress, newlyUnlocked } = recordModule(context.catalog, current, module, { ifNew: params.ifNew === true });
    // A watcher may have seen this export first and unlocked milestones for it: they are still news to this
    // caller (tito's panel), once. See core/pending-panels.ts.
    const claimed = claimPanels(pending, { module, progress, now: context.now() });
    const unlockedHere = newlyUnlocked.map((milestone) => milestone.id);
    const ids = new Set([...unlockedHere, ...claimed.milestones]);
    // Shown now: an older entry for the same milestone, owed to another module, would show it a second time.
    const rest = forgetPanels(claimed.pending, unlockedHere);
    return { progress, pending: rest, value: context.catalog.milestones.filter((milestone) => ids.has(milestone.id)) };
  });
  announceChange(context.announcer, change, 'checkExport');
  const messages = change.value.map(unlockMessage);
  // Recorded all the same, as the original does; the student hears that it unlocks nothing of this catalog.
  const note = context.catalog.moduleIds.includes(module) ? null : notInCatalogText(module, catalogLabel(context.catalog), nearestModule(context.catalog, module));
  return { newlyUnlocked: change.value.map((milestone) => milestone.id), messages, text: checkExportText(module, messages, note) };
};
