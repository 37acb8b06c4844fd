// milestones/markCompleted: record a milestone as completed without running it (the original's mark_milestone_complete).
import type { MarkCompletedRequest } from '../../protocol/plain.js';
import { alreadyCompletedMessage, completedMessage } from '../core/messages.js';
import { completeMilestone } from '../core/rules.js';
import { announceChange } from './announcer.js';
import { requireMilestone, type Handler } from './handler.js';

export const markCompleted: Handler<typeof MarkCompletedRequest> = async (params, context) => {
  const milestone = requireMilestone(context, params.id);
  const change = await context.store.update((current) => {
    const { progress, newlyCompleted } = completeMilestone(current, milestone.id);
    return { progress, value: newlyCompleted };
  });
  announceChange(context.announcer, change, 'checkExport');
  return { newlyCompleted: change.value, message: change.value ? completedMessage(milestone) : alreadyCompletedMessage(milestone) };
};
