// Watches the export directory: each added or changed module file, once its writes settle, is reported with its module.
import { resolve } from 'node:path';
import type { CatalogModule } from '../../protocol/index.js';
import { isExportCandidate, isWatchedFolder, moduleFromExportMap, moduleOfExport, relativeTo } from '../core/export-mapping.js';
import { readHead } from './read-head.js';
import { watchFolder, type FileEvent, type FolderWatch } from './watch-folder.js';

/** One export writes its file twice (nbdev, then tito's header): wait this long after the last event. */
const SETTLE_MS = 15;
/** chokidar drops a `change` within 50 ms of the previous one: a file that maps to nothing is read once more after that. */
const RECHECK_MS = 60;

export interface ExportWatcherOptions {
  readonly folder: string;
  readonly modules: readonly CatalogModule[];
  /** Called for every settled write of a module's file; recording is idempotent, so repeats are harmless. */
  readonly onExport: (event: { module: string; path: string }) => Promise<void>;
  /** A deleted export (`tito module reset --hard`); `module` is null when it cannot be told. */
  readonly onDelete: (event: { module: string | null; path: string }) => void;
  readonly onError: (error: unknown) => void;
}

export function watchExports(options: ExportWatcherOptions): FolderWatch {
  const folder = resolve(options.folder);
  const timers = new Map<string, NodeJS.Timeout>();
  /** The module each file mapped to when last read, to name it when the file is deleted. */
  const seen = new Map<string, string>();
  const working = new Set<Promise<void>>();
  let closed = false;

  const schedule = (path: string, delayMs: number, recheck: boolean) => {
    clearTimeout(timers.get(path));
    const timer = setTimeout(() => {
      timers.delete(path);
      const work = settle(path, recheck).catch(options.onError);
      working.add(work);
      void work.finally(() => working.delete(work));
    }, delayMs);
    timers.set(path, timer);
  };

  async function settle(path: string, recheck: boolean): Promise<void> {
    const content = await readHead(path);
    if (closed || content === null) return;
    const module = moduleOfExport({ folder, path, content }, options.modules);
    if (module === null) {
      if (recheck) schedule(path, RECHECK_MS, false);
      return;
    }
    seen.set(path, module);
    await options.onExport({ module, path });
  }

  const onEvent = (event: FileEvent, path: string) => {
    const relative = relativeTo(folder, path);
    if (closed || relative === null || !isExportCandidate(relative)) return;
    if (event === 'unlink') {
      clearTimeout(timers.get(path));
      timers.delete(path);
      options.onDelete({ module: seen.get(path) ?? moduleFromExportMap(path, options.modules), path });
      seen.delete(path);
      return;
    }
    schedule(path, SETTLE_MS, true);
  };

  const watch = watchFolder({ folder, recursive: true, watchFolder: isWatchedFolder, onEvent, onError: options.onError });
  return {
    ready: watch.ready,
    async close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await watch.close();
      await Promise.allSettled([...working]);
    },
  };
}
