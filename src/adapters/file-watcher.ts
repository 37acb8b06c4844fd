// Watches one file through its folder, so atomic renames over it are seen; calls back once its writes settle.
import { dirname, resolve } from 'node:path';
import { watchFolder, type FolderWatch } from './watch-folder.js';

/** Writes by rename come as one event; the original tracker's in-place writes may come as a few. */
const SETTLE_MS = 10;
/** chokidar drops a `change` within 50 ms of the previous one: look once more after that, or a quick second write is missed. */
const RECHECK_MS = 60;

export interface FileWatcherOptions {
  readonly file: string;
  /** Called after the file was created, changed or replaced (and once more a little later); deletions are not reported. */
  readonly onChange: () => Promise<void>;
  readonly onError: (error: unknown) => void;
}

export function watchFile(options: FileWatcherOptions): FolderWatch {
  const target = resolve(options.file);
  let timer: NodeJS.Timeout | undefined;
  let working: Promise<void> = Promise.resolve();
  let closed = false;
  const react = (thenRecheck: boolean) => {
    // One reaction at a time, in order: the reader sees the file's states as they came.
    working = working.then(options.onChange).catch(options.onError);
    timer = thenRecheck ? setTimeout(react, RECHECK_MS - SETTLE_MS, false) : undefined;
  };
  const watch = watchFolder({
    folder: dirname(target),
    recursive: false,
    onEvent: (event, path) => {
      if (closed || path !== target || event === 'unlink') return;
      clearTimeout(timer);
      timer = setTimeout(react, SETTLE_MS, true);
    },
    onError: options.onError,
  });
  return {
    ready: watch.ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      await watch.close();
      await working;
    },
  };
}
