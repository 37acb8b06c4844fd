// An in-memory ProgressStore: the same contract as adapters/store.ts (reads never write, a change writes only what changed).
import { MilestoneError } from '../../protocol/index.js';
import { NO_PENDING_PANELS, type PendingPanels } from '../../src/core/pending-panels.js';
import { EMPTY_PROGRESS, sameProgress, type Progress } from '../../src/core/progress.js';
import type { ProgressChange, ProgressEdit, ProgressStore } from '../../src/ports.js';

export interface MemoryStore extends ProgressStore {
  /** The progress as "on disk" now; null when nothing was ever written. */
  readonly written: Progress | null;
  readonly pending: PendingPanels;
  /** How many changes were written (a change that changes nothing writes nothing). */
  readonly writes: number;
  /** Another process writes the file (the next read or update sees it). */
  writeExternally(progress: Progress): void;
  /** The file stops parsing: reads and updates answer progress-file-corrupt until repair. */
  corrupt(): void;
}

export function createMemoryStore(initial: Progress | null = null, path = '/memory/progress.json'): MemoryStore {
  let file: Progress | null = initial;
  let pending: PendingPanels = NO_PENDING_PANELS;
  let writes = 0;
  let corrupt = false;
  const current = (): Progress => {
    if (corrupt) throw new MilestoneError('progress-file-corrupt', `The progress file ${path} cannot be read.`, { path, backup: `${path}.corrupt` });
    return file ?? EMPTY_PROGRESS;
  };
  // One operation at a time, as the real store's lock and queue guarantee.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(operation: () => T): Promise<T> => {
    const result = queue.then(operation, operation);
    queue = result.catch(() => {});
    return result;
  };
  return {
    path,
    get written() {
      return file;
    },
    get pending() {
      return pending;
    },
    get writes() {
      return writes;
    },
    writeExternally(progress) {
      file = progress;
    },
    corrupt() {
      corrupt = true;
    },
    read: () => serially(current),
    update: <T>(change: (now: Progress, panels: PendingPanels) => ProgressEdit<T>) =>
      serially((): ProgressChange<T> => {
        const before = current();
        const edit = change(before, pending);
        if (edit.pending) pending = edit.pending;
        if (sameProgress(before, edit.progress)) return { before, after: before, value: edit.value };
        file = edit.progress;
        writes++;
        return { before, after: edit.progress, value: edit.value };
      }),
    repair: () =>
      serially(() => {
        const backup = corrupt ? `${path}.corrupt` : null;
        corrupt = false;
        file = null;
        pending = NO_PENDING_PANELS;
        return { backup };
      }),
  };
}
