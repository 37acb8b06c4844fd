// milestones/reset: un-complete a module on purpose (tito module reset) and re-lock what needs it.
import type { ResetRequest } from '../../protocol/plain.js';
import { resetText } from '../core/messages.js';
import { forgetPanels } from '../core/pending-panels.js';
import { resetModule } from '../core/rules.js';
import { announceChange } from './announcer.js';
import { requireModule, type Handler } from './handler.js';

export const reset: Handler<typeof ResetRequest> = async (params, context) => {
  const module = requireModule(context, params.module);
  const change = await context.store.update((current, pending) => {
    const { progress, wasCompleted, relocked } = resetModule(context.catalog, current, module);
    // A panel owed for an unlock that is undone must not show when the milestone unlocks again later.
    return { progress, pending: forgetPanels(pending, relocked), value: { wasCompleted, relocked } };
  });
  // A reset unlocks nothing; the announcer still sees the re-lock, so unlocking it again is news again.
  announceChange(context.announcer, change, 'external');
  const { wasCompleted, relocked } = change.value;
  return { module, wasCompleted, relocked, text: resetText(module, wasCompleted, relocked) };
};
