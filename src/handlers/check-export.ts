// milestones/checkExport: record a module, unlock what it completes, announce it.
import type { CheckExport } from '../../protocol/index.js';
import { checkExportText, unlockMessage } from '../core/messages.js';
import { recordModule } from '../core/rules.js';
import { announceChange } from '../announcer.js';
import { requireModule, type Handler } from './handler.js';

export const checkExport: Handler<typeof CheckExport> = async (params, context) => {
  const module = requireModule(context, params.module);
  const change = await context.store.update((current) => {
    const { progress, newlyUnlocked } = recordModule(context.catalog, current, module, { ifNew: params.ifNew === true });
    return { progress, value: newlyUnlocked };
  });
  announceChange(context.announcer, change, 'checkExport');
  const messages = change.value.map(unlockMessage);
  return { newlyUnlocked: change.value.map((milestone) => milestone.id), messages, text: checkExportText(module, messages) };
};
