// milestones/list: the unlocked, not completed milestones, with the command that verifies each.
import type { ListRequest } from '../../protocol/plain.js';
import { listText, verifyCommand } from '../core/messages.js';
import { unlockedNotCompleted } from '../core/rules.js';
import type { Handler } from './handler.js';

export const list: Handler<typeof ListRequest> = async (_params, context) => {
  const current = await context.store.read();
  context.announcer.observe(current, 'external');
  const tests = unlockedNotCompleted(context.catalog, current).map((milestone) => ({
    id: milestone.id,
    name: milestone.name,
    description: milestone.description,
    command: verifyCommand(milestone.verify),
  }));
  return { tests, text: listText(tests) };
};
