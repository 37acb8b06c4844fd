// milestones/progress: every milestone's status, requirements met, and what comes next.
import type { ProgressRequest } from '../../protocol/plain.js';
import { catalogLabel } from '../core/catalog.js';
import { frozenAnswer } from '../core/frozen-answer.js';
import { progressText } from '../core/messages.js';
import { progressView } from '../core/rules.js';
import type { Handler } from './handler.js';
import type { ActiveCatalog } from '../core/catalog.js';
import type { Progress } from '../core/progress.js';
import type { ProgressResult } from '../../protocol/plain.js';

/** The answer for one version of the progress (the store hands out the same object while the file is unchanged). */
const answers = new WeakMap<ActiveCatalog, WeakMap<Progress, ProgressResult>>();

export const progress: Handler<typeof ProgressRequest> = async (_params, context) => {
  const current = await context.store.read();
  context.announcer.observe(current, 'external');
  let byProgress = answers.get(context.catalog);
  if (!byProgress) {
    byProgress = new WeakMap();
    answers.set(context.catalog, byProgress);
  }
  let answer = byProgress.get(current);
  if (!answer) {
    const view = progressView(context.catalog, current);
    // Frozen: the same object answers every request until the file changes, and is serialized once.
    answer = frozenAnswer({ catalog: catalogLabel(context.catalog), ...view, text: progressText(view) });
    byProgress.set(current, answer);
  }
  return answer;
};
