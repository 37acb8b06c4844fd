// milestones/rescan: record every module the workspace shows as completed (exported files, tito's progress.json), on demand.
import type { RescanRequest } from '../../protocol/index.js';
import { rescanText, unlockMessage } from '../core/messages.js';
import { recordModules } from '../core/rules.js';
import { announceChange } from './announcer.js';
import type { Handler } from './handler.js';

export const rescan: Handler<typeof RescanRequest> = async (_params, context) => {
  const scan = await context.scanWorkspace();
  for (const problem of scan.problems) context.notifier.log('warning', problem);
  const change = await context.store.update((current) => {
    const { progress, newlyUnlocked, recorded } = recordModules(context.catalog, current, scan.modules);
    return { progress, value: { recorded, newlyUnlocked } };
  });
  announceChange(context.announcer, change, 'rescan');
  const { recorded, newlyUnlocked } = change.value;
  return { recorded, newlyUnlocked: newlyUnlocked.map((milestone) => milestone.id), text: rescanText(recorded, newlyUnlocked.map(unlockMessage)) };
};
