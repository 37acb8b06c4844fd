// The progress file on disk: stable reads, corrupt-file backups, locked atomic read-modify-write.
import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MilestoneError, SettingError } from '../../protocol/index.js';
import { NO_PENDING_PANELS, parsePendingPanels, serializePendingPanels, type PendingPanels } from '../core/pending-panels.js';
import { EMPTY_PROGRESS, parseProgress, sameProgress, serializeProgress, type Progress } from '../core/progress.js';
import { progressFileUnreadableText } from '../core/messages.js';
import type { Logger, ProgressChange, ProgressEdit, ProgressStore } from '../ports.js';
import { withLock } from './lock.js';

/** The original writes in place, so a half-written file can be seen for a moment: look again over ~100 ms. */
const REREAD_DELAYS_MS = [10, 25, 65];
/**
 * A file whose last change is younger than this may still change within the same timestamp tick, with the same size
 * (the original writes in place): it is read again next time rather than trusted from the cache (git's "racy clean").
 */
const SETTLED_MS = 100n;

/** What identifies one version of a file: a write in place changes size, mtime or ctime; an atomic write, the inode. */
async function fileVersion(path: string): Promise<{ key: string; settled: boolean } | null> {
  try {
    const info = await stat(path, { bigint: true });
    const key = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    const newest = info.mtimeNs > info.ctimeNs ? info.mtimeNs : info.ctimeNs;
    return { key, settled: BigInt(Date.now()) * 1_000_000n - newest > SETTLED_MS * 1_000_000n };
  } catch {
    return null; // missing or unreadable: the read below says which
  }
}

export interface FileStoreOptions {
  readonly path: string;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Called each time the progress file itself is read (the stat-checked cache missed): for tests and benchmarks. */
  readonly onFileRead?: () => void;
}

function utcStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}

/** A missing file is null; one that cannot be read is a setting to change, said in one sentence. */
async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (typeof code === 'string') throw new SettingError(progressFileUnreadableText(path, code, (error as Error).message));
    throw error;
  }
}

/**
 * mkdir -p, one level at a time. Node's own `recursive: true` spins forever where mkdir answers ENOENT for a parent
 * that exists (seen under /proc); here every level is tried once, so a bad path is an error, not a hang.
 */
async function ensureFolder(folder: string): Promise<void> {
  try {
    await mkdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(folder);
    if (code !== 'ENOENT' || parent === folder) throw error;
    await ensureFolder(parent);
    await mkdir(folder).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await ensureFolder(dirname(path));
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temporary, 'w', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
  // Make the rename itself durable; not every file system lets a folder be opened, so this is best effort.
  const folder = await open(dirname(path), 'r').catch(() => null);
  await folder?.sync().catch(() => {});
  await folder?.close();
}

/** File-system failures while writing become one sentence naming the progress file and what to change. */
async function explainingWriteErrors<T>(path: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof MilestoneError || typeof code !== 'string') throw error;
    const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'the file system is read-only' : code === 'ENOSPC' ? 'the disk is full' : (error as Error).message;
    throw new SettingError(`Cannot write the progress file ${path} (${reason}); set --progress-file or TINYTORCH_PROGRESS_FILE to a writable place.`);
  }
}

export function createFileStore(options: FileStoreOptions): ProgressStore {
  const { path, logger } = options;
  const now = options.now ?? (() => new Date());
  const lockPath = `${path}.lock`;
  /** Panels owed to a later checkExport (core/pending-panels.ts): beside the file, so its format stays the original's. */
  const pendingPath = `${path}.pending-panels.json`;
  /** Corrupt contents already backed up by this process, so a bad file is copied once, not per request. */
  const backups = new Map<string, string>();
  /** One operation at a time in this process, in arrival order: a read never overtakes an earlier change. */
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(operation: () => Promise<T>): Promise<T> => {
    const result = queue.then(operation, operation);
    queue = result.catch(() => {});
    return result;
  };

  async function backUp(text: string, suffix: 'corrupt' | 'backup'): Promise<string> {
    const known = backups.get(text);
    if (known && existsSync(known)) return known;
    const stamp = `${path}.${suffix}-${utcStamp(now())}`;
    // Never overwrite an earlier backup, even one made in the same millisecond.
    for (let attempt = 0; ; attempt++) {
      const backup = attempt === 0 ? stamp : `${stamp}-${attempt}`;
      try {
        await copyFile(path, backup, constants.COPYFILE_EXCL);
        backups.set(text, backup);
        logger.warn(`progress file ${path} kept as ${backup}`);
        return backup;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 100) throw error;
      }
    }
  }

  /** The last read, reused while the file is the same version (fileVersion): the warm path reads no file. */
  let cached: { key: string; progress: Progress } | null = null;

  async function readProgress(): Promise<Progress> {
    // The version is taken before reading: a change made meanwhile gives another key next time, never a stale hit.
    const version = await fileVersion(path);
    if (version && cached?.key === version.key) return cached.progress;
    const progress = await readProgressFile();
    cached = version?.settled ? { key: version.key, progress } : null;
    return progress;
  }

  async function readProgressFile(): Promise<Progress> {
    options.onFileRead?.();
    let text = await readText(path);
    if (text === null) return EMPTY_PROGRESS;
    let parsed = parseProgress(text);
    for (const delayMs of REREAD_DELAYS_MS) {
      if (parsed.ok) break;
      await sleep(delayMs);
      text = await readText(path);
      if (text === null) return EMPTY_PROGRESS;
      parsed = parseProgress(text);
    }
    if (parsed.ok) return parsed.progress;
    const backup = await backUp(text, 'corrupt');
    throw new MilestoneError(
      'progress-file-corrupt',
      `The progress file ${path} cannot be read: ${parsed.reason}. A copy is kept at ${backup}; run "tinytorch-milestones repair" to start a fresh one.`,
      { path, backup },
    );
  }

  async function readPending(): Promise<PendingPanels> {
    const text = await readText(pendingPath);
    return text === null ? NO_PENDING_PANELS : parsePendingPanels(text);
  }

  /** Written before the progress: a crash in between leaves an entry for an unlock not on disk, which claimPanels ignores. */
  async function writePending(before: PendingPanels, after: PendingPanels | undefined): Promise<void> {
    if (after === undefined || serializePendingPanels(before) === serializePendingPanels(after)) return;
    if (after.length === 0) await unlink(pendingPath).catch(() => {});
    else await writeAtomically(pendingPath, serializePendingPanels(after));
  }

  /** Re-reads under the lock and writes what changed: pending panels first, then the progress. */
  function lockedUpdate<T>(change: (current: Progress, pending: PendingPanels) => ProgressEdit<T>): Promise<ProgressChange<T>> {
    return explainingWriteErrors(path, async () => {
      await ensureFolder(dirname(path));
      return withLock(lockPath, async () => {
        const before = await readProgress();
        const pending = await readPending();
        const { progress: after, value, pending: pendingAfter } = change(before, pending);
        await writePending(pending, pendingAfter);
        if (sameProgress(before, after)) return { before, after: before, value };
        await writeAtomically(path, serializeProgress(after));
        return { before, after, value };
      });
    });
  }

  return {
    path,
    read: () => serially(readProgress),
    update: <T>(change: (current: Progress, pending: PendingPanels) => ProgressEdit<T>) =>
      serially(async () => {
        // Most requests change nothing (a repeated export, a completed milestone): answer those without the lock,
        // the folder or a write. The change is pure, so it is simply applied again under the lock otherwise.
        const seen = await readProgress();
        const seenPending = await readPending();
        const preview = change(seen, seenPending);
        const pendingUnchanged = preview.pending === undefined || serializePendingPanels(preview.pending) === serializePendingPanels(seenPending);
        if (pendingUnchanged && sameProgress(seen, preview.progress)) return { before: seen, after: seen, value: preview.value };
        return lockedUpdate(change);
      }),
    repair: () =>
      serially(() =>
        explainingWriteErrors(path, async () => {
          await ensureFolder(dirname(path));
          return withLock(lockPath, async () => {
            const text = await readText(path);
            let backup: string | null = null;
            if (text !== null) backup = await backUp(text, parseProgress(text).ok ? 'backup' : 'corrupt');
            await writeAtomically(path, serializeProgress(EMPTY_PROGRESS));
            // A fresh start owes tito no panels.
            await unlink(pendingPath).catch(() => {});
            backups.clear();
            return { backup };
          });
        }),
      ),
  };
}
