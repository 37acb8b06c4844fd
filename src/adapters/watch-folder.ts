// A chokidar watch of one folder, which may not exist yet: file events only, start-up contents ignored.
import { type Dirent, existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { watch } from 'chokidar';

export type FileEvent = 'add' | 'change' | 'unlink';

export interface FolderWatchOptions {
  readonly folder: string;
  /** The whole tree, or the folder's own entries only. */
  readonly recursive: boolean;
  /** Folders (by name) under `folder` not to descend into; their files are ignored too. */
  readonly watchFolder?: (name: string) => boolean;
  readonly onEvent: (event: FileEvent, path: string) => void;
  /**
   * Every raw event of a watched folder, with the name as the system gave it: chokidar drops events for a name
   * that is not UTF-8 (it cannot stat the decoded path), so a caller that cares lists the folder itself.
   */
  readonly onRaw?: (watchedPath: string, name: string) => void;
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

/** How often the path is checked for a folder swapped under the watch (two stat calls). */
const PATH_CHECK_MS = 500;

/** When to look in a new folder ourselves, after chokidar reported it: by then chokidar watches it. */
const NEW_FOLDER_LOOKS_MS = [100, 1000];

/** What a folder is, as opposed to where it is: a folder moved away and another moved in has another identity. */
function identity(path: string): string | null {
  try {
    // A folder made again often reuses the inode number of the one deleted before it: its birth time tells them apart.
    const stats = statSync(path);
    return `${stats.dev}:${stats.ino}:${stats.birthtimeMs}`;
  } catch {
    return null;
  }
}

/**
 * A folder that does not exist yet is watched from its nearest existing ancestor, narrowed to the way
 * down to it: chokidar gives no events for a path that is created after the watch starts. When the folder
 * chokidar watches is deleted (`rm -rf ~/.tinytorch` to start over), it goes silent: watch again from the
 * nearest ancestor that is left. Watching follows the path, not the folder: when the folder is moved away and
 * another put in its place (`mv tinytorch tinytorch.old; mv tinytorch.new tinytorch`), the watch starts again.
 * A recursive watch never follows symlinks (two links to `.` made chokidar walk forever); a watch of one folder's
 * own entries does, so a symlinked file is still watched.
 * No `awaitWriteFinish`: its defaults add about 2 s; callers debounce per file themselves.
 */
export function watchFolder(options: FolderWatchOptions): FolderWatch {
  const { recursive } = options;
  const folder = resolve(options.folder);
  const inside = `${folder}${sep}`;
  let closed = false;

  const start = () => {
    const root = nearestExisting(folder);
    // chokidar watches the real folder (it follows no symlink, not even its root's); events come back under `root`.
    let real = root;
    try {
      real = realpathSync(root);
    } catch {}
    const realInside = real.endsWith(sep) ? real : `${real}${sep}`;
    const rootInside = root.endsWith(sep) ? root : `${root}${sep}`;
    const toPath = (path: string) => (path === real ? root : path.startsWith(realInside) ? rootInside + path.slice(realInside.length) : path);
    const ignored = (watched: string): boolean => {
      const path = toPath(watched);
      if (path === root || path === folder || inside.startsWith(`${path}${sep}`)) return false;
      if (!path.startsWith(inside)) return true;
      const parts = path.slice(inside.length).split(sep);
      if (!recursive && parts.length > 1) return true;
      return options.watchFolder ? !parts.every(options.watchFolder) : false;
    };
    const rootIdentity = identity(root);
    const watcher = watch(real, { ignoreInitial: true, ignored, followSymlinks: !recursive, depth: root === folder && !recursive ? 0 : undefined });
    const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    watcher.on('add', (path) => options.onEvent('add', toPath(path)));
    watcher.on('change', (path) => options.onEvent('change', toPath(path)));
    watcher.on('unlink', (path) => options.onEvent('unlink', toPath(path)));
    // Whether the path no longer leads to the folder this watch started on: chokidar reports the deletion of its
    // root as `unlinkDir` only when the folder held something, and its move not at all. Watching from an ancestor,
    // chokidar descends into the folder when it comes back, unless it came back behind a symlink (taken for a file):
    // given time to descend and still not watched, start again from the nearest existing ancestor.
    const swapped = () => identity(root) !== rootIdentity;
    const notDescended = () => {
      if (root === folder) return false;
      const nearest = nearestExisting(folder);
      if (nearest === root) return false;
      let nearestReal = nearest;
      try {
        nearestReal = realpathSync(nearest);
      } catch {}
      return !Object.hasOwn(watcher.getWatched(), nearestReal);
    };
    let gone = false;
    const restart = (polled: boolean) => {
      if (gone || closed || !(swapped() || (polled && notDescended()))) return;
      gone = true;
      clearInterval(poll);
      // Closed first: a new chokidar watch of the same path would share this one's fs.watch of the old folder.
      void watcher.close();
      current = start();
    };
    watcher.on('raw', (_event, name, details) => {
      const watchedPath = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (!closed && options.onRaw && typeof name === 'string' && typeof watchedPath === 'string') options.onRaw(toPath(watchedPath), name);
      restart(false);
    });
    // A change to a symlink on the way to the folder makes no event in the folder it led to: look now and then too.
    const poll = setInterval(restart, PATH_CHECK_MS, true);
    poll.unref();
    watcher.on('error', (error) => options.onError(error));
    // chokidar lists a new folder, then watches it: a file made in between is never reported (paulmillr/chokidar#1471,
    // open in v5), and `mkdir -p tinytorch/core` followed at once by an export is that case. So look in each new
    // folder ourselves once chokidar watches it: a file it does not know is an `add`, a folder it does not watch is
    // given to it. The callers take an `add` twice without harm (they debounce, and recording a module is idempotent).
    const lookInto = (realFolder: string) => {
      if (gone || closed || ignored(realFolder)) return;
      let entries: Dirent[];
      try {
        entries = readdirSync(realFolder, { withFileTypes: true });
      } catch {
        return; // gone again meanwhile
      }
      const watched = watcher.getWatched();
      const known = new Set(watched[realFolder] ?? []);
      if (!Object.hasOwn(watched, realFolder)) watcher.add(realFolder);
      for (const entry of entries) {
        const path = join(realFolder, entry.name);
        if (ignored(path)) continue;
        if (entry.isDirectory()) lookInto(path);
        else if (entry.isFile() && !known.has(entry.name)) options.onEvent('add', toPath(path));
      }
    };
    let scanned = false;
    void ready.then(() => {
      scanned = true;
    });
    watcher.on('addDir', (path) => {
      if (!scanned || !recursive) return;
      for (const delay of NEW_FOLDER_LOOKS_MS) setTimeout(() => lookInto(path), delay).unref();
    });
    return { watcher, ready, poll };
  };

  let current = start();
  return {
    ready: current.ready,
    close: () => {
      closed = true;
      clearInterval(current.poll);
      return current.watcher.close();
    },
  };
}
