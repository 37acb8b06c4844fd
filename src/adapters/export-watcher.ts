// Watches the export directory: each added or changed module file, once its writes settle, is reported with its module.
import { readdir } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { CatalogModule } from '../../protocol/plain.js';
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

  /** `target` is a path, or the bytes of one whose name is not UTF-8. */
  const schedule = (target: string | Buffer, delayMs: number, recheck: boolean) => {
    const key = typeof target === 'string' ? target : `\0${target.toString('hex')}`;
    clearTimeout(timers.get(key));
    const timer = setTimeout(() => {
      timers.delete(key);
      const work = settle(target, recheck).catch(options.onError);
      working.add(work);
      void work.finally(() => working.delete(work));
    }, delayMs);
    timers.set(key, timer);
  };

  async function settle(target: string | Buffer, recheck: boolean): Promise<void> {
    const content = await readHead(target);
    if (closed || content === null) return;
    const path = target.toString();
    const module = moduleOfExport({ folder, path, content }, options.modules);
    if (module === null) {
      if (recheck) schedule(target, RECHECK_MS, false);
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

  /**
   * chokidar drops the events of a name that is not UTF-8 (`caf\xe9.py` decodes to `caf\uFFFD.py`, which it cannot
   * stat): such a raw event makes us list that folder by bytes and read its files whose names are not UTF-8.
   */
  const onRaw = (watchedPath: string, name: string) => {
    if (closed || !name.includes('\uFFFD')) return;
    void readdir(watchedPath, { withFileTypes: true, encoding: 'buffer' }).then(
      (entries) => {
        for (const entry of entries) {
          const lossy = entry.name.toString('utf8');
          if (!entry.isFile() || lossy !== name || Buffer.from(lossy).equals(entry.name)) continue;
          const raw = Buffer.concat([Buffer.from(watchedPath), Buffer.from(sep), entry.name]);
          const relative = relativeTo(folder, raw.toString('utf8'));
          if (relative !== null && isExportCandidate(relative)) schedule(raw, SETTLE_MS, true);
        }
      },
      () => {}, // a file chokidar watches, or a folder gone meanwhile
    );
  };

  const watch = watchFolder({ folder, recursive: true, watchFolder: isWatchedFolder, onEvent, onRaw, onError: options.onError });
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
