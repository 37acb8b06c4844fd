// A chokidar watch of one folder, which may not exist yet: file events only, start-up contents ignored.
import { existsSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { watch } from 'chokidar';

export type FileEvent = 'add' | 'change' | 'unlink';

export interface FolderWatchOptions {
  readonly folder: string;
  /** The whole tree, or the folder's own entries only. */
  readonly recursive: boolean;
  /** Folders (by name) under `folder` not to descend into; their files are ignored too. */
  readonly watchFolder?: (name: string) => boolean;
  readonly onEvent: (event: FileEvent, path: string) => void;
  readonly onError: (error: unknown) => void;
}

export interface FolderWatch {
  /** Resolves once the initial scan is done: from then on, every change is an event. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

function nearestExisting(folder: string): string {
  let current = folder;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

/**
 * A folder that does not exist yet is watched from its nearest existing ancestor, narrowed to the way
 * down to it: chokidar gives no events for a path that is created after the watch starts. When the folder
 * chokidar watches is deleted (`rm -rf ~/.tinytorch` to start over), it goes silent: watch again from the
 * nearest ancestor that is left.
 * No `awaitWriteFinish`: its defaults add about 2 s; callers debounce per file themselves.
 */
export function watchFolder(options: FolderWatchOptions): FolderWatch {
  const { recursive } = options;
  const folder = resolve(options.folder);
  const inside = `${folder}${sep}`;
  let closed = false;

  const start = () => {
    const root = nearestExisting(folder);
    const ignored = (path: string): boolean => {
      if (path === root || path === folder || inside.startsWith(`${path}${sep}`)) return false;
      if (!path.startsWith(inside)) return true;
      const parts = path.slice(inside.length).split(sep);
      if (!recursive && parts.length > 1) return true;
      return options.watchFolder ? !parts.every(options.watchFolder) : false;
    };
    const watcher = watch(root, { ignoreInitial: true, ignored, depth: root === folder && !recursive ? 0 : undefined });
    const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    watcher.on('add', (path) => options.onEvent('add', path));
    watcher.on('change', (path) => options.onEvent('change', path));
    watcher.on('unlink', (path) => options.onEvent('unlink', path));
    // chokidar reports the deletion of its root as `unlinkDir` only when the folder held something: look at every raw event.
    let gone = false;
    watcher.on('raw', () => {
      if (gone || closed || existsSync(root)) return;
      gone = true;
      void watcher.close();
      current = start();
    });
    watcher.on('error', (error) => options.onError(error));
    return { watcher, ready };
  };

  let current = start();
  return {
    ready: current.ready,
    close: () => {
      closed = true;
      return current.watcher.close();
    },
  };
}
