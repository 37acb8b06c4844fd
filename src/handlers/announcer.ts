// Announces each unlock and completion once per connection, by diffing every progress it is shown.
import type { UnlockCause } from '../../protocol/plain.js';
import type { ActiveCatalog } from '../core/catalog.js';
import { completedMessage, unlockMessage } from '../core/messages.js';
import type { Progress } from '../core/progress.js';
import { transitions } from '../core/rules.js';
import type { Announcer, Notifier, ProgressChange } from '../ports.js';

/** `baseline` is the progress the client is assumed to know already (the file at start-up); null: take the first one seen. */
export function createAnnouncer(catalog: ActiveCatalog, notifier: Notifier, baseline: Progress | null): Announcer {
  let lastSeen = baseline;
  return {
    observe(progress: Progress, cause: UnlockCause) {
      if (lastSeen === null || progress === lastSeen) {
        lastSeen = progress; // the same version of the file (the store's cache) holds nothing new
        return;
      }
      const { unlocked, completed } = transitions(catalog, lastSeen, progress);
      lastSeen = progress;
      for (const milestone of unlocked) {
        notifier.unlocked({ id: milestone.id, name: milestone.name, description: milestone.description, message: unlockMessage(milestone), cause });
      }
      for (const milestone of completed) {
        notifier.completed({ id: milestone.id, name: milestone.name, message: completedMessage(milestone) });
      }
    },
  };
}

/** What another process changed shows up in `before`; what this change did, in `after`. */
export function announceChange(announcer: Announcer, change: ProgressChange<unknown>, cause: UnlockCause): void {
  announcer.observe(change.before, 'external');
  announcer.observe(change.after, cause);
}
