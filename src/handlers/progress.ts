// milestones/progress: every milestone's status, requirements met, and what comes next.
import type { ProgressRequest } from '../../protocol/index.js';
import { catalogLabel } from '../core/catalog.js';
import { progressText } from '../core/messages.js';
import { progressView } from '../core/rules.js';
import type { Handler } from './handler.js';

export const progress: Handler<typeof ProgressRequest> = async (_params, context) => {
  const current = await context.store.read();
  context.announcer.observe(current, 'external');
  const view = progressView(context.catalog, current);
  return { catalog: catalogLabel(context.catalog), ...view, text: progressText(view) };
};
