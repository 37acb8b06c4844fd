// milestones/rescan: record every module the workspace shows as completed (exported files, tito's progress.json), on demand.
import type { RescanRequest } from '../../protocol/plain.js';
import { rescanText, unlockMessage } from '../core/messages.js';
import { completeMilestone, recordModules } from '../core/rules.js';
import { announceChange } from './announcer.js';
import type { Handler } from './handler.js';

export const rescan: Handler<typeof RescanRequest> = async (_params, context) => {
  const scan = await context.scanWorkspace();
  for (const problem of scan.problems) context.notifier.log('warning', problem);
  const change = await context.store.update((current) => {
    const { progress: recordedProgress, newlyUnlocked, recorded } = recordModules(context.catalog, current, scan.modules);
    // tito's `.tito/milestones.json`: milestones its own `tito milestones run` passed.
    let progress = recordedProgress;
    const completed: string[] = [];
    for (const id of scan.completedMilestones) {
      const completion = completeMilestone(progress, id);
      progress = completion.progress;
      if (completion.newlyCompleted) completed.push(id);
    }
    return { progress, value: { recorded, newlyUnlocked, completed } };
  });
  announceChange(context.announcer, change, 'rescan');
  const { recorded, newlyUnlocked, completed } = change.value;
  return {
    recorded,
    newlyUnlocked: newlyUnlocked.map((milestone) => milestone.id),
    text: rescanText(recorded, newlyUnlocked.map(unlockMessage), completed),
  };
};
