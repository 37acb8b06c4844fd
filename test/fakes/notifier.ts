// A Notifier that records what it was asked to send, in order, for handler and announcer tests.
import type { WorkDoneProgressValue } from '../../protocol/index.js';
import type { Notifier } from '../../src/ports.js';

export type Sent =
  | { readonly kind: 'unlocked'; readonly params: Parameters<Notifier['unlocked']>[0] }
  | { readonly kind: 'completed'; readonly params: Parameters<Notifier['completed']>[0] }
  | { readonly kind: 'runOutput'; readonly params: Parameters<Notifier['runOutput']>[0] }
  | { readonly kind: 'workDoneProgress'; readonly params: { token: string | number; value: WorkDoneProgressValue } }
  | { readonly kind: 'log'; readonly params: { level: Parameters<Notifier['log']>[0]; message: string } };

export interface RecordingNotifier extends Notifier {
  readonly sent: Sent[];
  /** Cancels a progress bar the way a client's window/workDoneProgress/cancel would. */
  cancelBar(token: string | number): void;
  /** The ids of the milestones announced as unlocked (or completed), in order. */
  unlockedIds(): string[];
  completedIds(): string[];
}

/** Progress bars exist only on a request's own workDoneToken here (a client that declared nothing more). */
export function createRecordingNotifier(): RecordingNotifier {
  const sent: Sent[] = [];
  const cancels = new Map<string | number, () => void>();
  return {
    sent,
    cancelBar: (token) => cancels.get(token)?.(),
    unlocked: (params) => void sent.push({ kind: 'unlocked', params }),
    completed: (params) => void sent.push({ kind: 'completed', params }),
    runOutput: (params) => void sent.push({ kind: 'runOutput', params }),
    progressBar: (token, onCancel) => {
      if (token === undefined) return null;
      cancels.set(token, onCancel);
      return {
        report: (value) => void sent.push({ kind: 'workDoneProgress', params: { token, value } }),
        close: () => void cancels.delete(token),
      };
    },
    log: (level, message) => void sent.push({ kind: 'log', params: { level, message } }),
    unlockedIds: () => sent.flatMap((entry) => (entry.kind === 'unlocked' ? [entry.params.id] : [])),
    completedIds: () => sent.flatMap((entry) => (entry.kind === 'completed' ? [entry.params.id] : [])),
  };
}
