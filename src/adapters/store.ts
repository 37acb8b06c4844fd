// The progress file on disk: stable reads, corrupt-file backups, locked atomic read-modify-write.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fchmodSync, fchownSync, openSync, statSync, writeFileSync, type BigIntStats, type Stats } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, MilestoneError, SettingError } from '../../protocol/plain.js';
import { NO_PENDING_PANELS, parsePendingPanels, serializePendingPanels, type PendingPanels } from '../core/pending-panels.js';
import { decodeFileBytes, encodeFileText } from '../core/file-text.js';
import { EMPTY_PROGRESS, parseProgress, sameProgress, serializeProgress, type Progress } from '../core/progress.js';
import {
  backupFailedReason,
  progressChangeCancelledText,
  progressFileCorruptText,
  progressFileReadOnlyText,
  progressFileUnreadableText,
  progressFileUnwritableText,
} from '../core/messages.js';
import type { Logger, ProgressChange, ProgressEdit, ProgressStore, StoreCallOptions } from '../ports.js';
import { withLock } from './lock.js';
import { access, fsyncAsync, lstat, mkdir, readdir, readFileNow, readlink, rename, stat, unlink } from './sync-fs.js';

/** The original writes in place, so a half-written file can be seen for a moment: look again over ~100 ms. */
const REREAD_DELAYS_MS = [10, 25, 65];
/**
 * A file whose last change is younger than this may still change within the same timestamp tick, with the same size
 * (the original writes in place): it is read again next time rather than trusted from the cache (git's "racy clean").
 */
const SETTLED_MS = 100n;

/**
 * One version of a file, as stat gives it: a write in place changes size, mtime or ctime; an atomic write, the inode.
 * Synchronous on purpose: one stat of a local file takes microseconds, where a trip through libuv's thread pool
 * costs more than the whole warm request. A missing file is no exception (thrown per request, it cost more than the
 * stat); an unreadable one is null, and the read below says why.
 */
function fileVersion(path: string): BigIntStats | 'missing' | null {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false }) ?? 'missing';
  } catch {
    return null;
  }
}

/** Compared field by field: no key is built per request. */
const sameVersion = (a: BigIntStats, b: BigIntStats) => a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.dev === b.dev;

/** Changed longer than SETTLED_MS ago: safe to trust from the cache. */
function settled(version: BigIntStats): boolean {
  // biome-ignore lint/complexity/useMathMinMax: these are bigints, which Math.max does not take.
  const newest = version.mtimeNs > version.ctimeNs ? version.mtimeNs : version.ctimeNs;
  return BigInt(Date.now()) * 1_000_000n - newest > SETTLED_MS * 1_000_000n;
}

export interface FileStoreOptions {
  readonly path: string;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Called each time the progress file itself is read (the stat-checked cache missed): for tests and benchmarks. */
  readonly onFileRead?: () => void;
  /** Ends every wait for the lock, whatever the call (the one-shot CLI's SIGTERM/SIGINT/SIGHUP). */
  readonly signal?: AbortSignal;
}

function utcStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}

/** A missing file is null; one that cannot be read is a setting to change, said in one sentence. */
async function readText(path: string): Promise<string | null> {
  try {
    // Lossless: a byte that is not UTF-8 (a Latin-1 editor's) comes back as the same byte when written (core/file-text.ts).
    return decodeFileBytes(readFileNow(path));
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

/** Where a write lands: the file itself, or the end of its chain of symbolic links (created there when missing). */
async function writeTarget(path: string): Promise<string> {
  let current = path;
  for (let hops = 0; hops <= 40; hops++) {
    let stats: Stats;
    try {
      stats = await lstat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return current;
      throw error;
    }
    if (!stats.isSymbolicLink()) return current;
    current = resolve(dirname(current), await readlink(current));
  }
  throw Object.assign(new Error(`too many symbolic links at ${path}`), { code: 'ELOOP' });
}

/** Refuses a file its owner made read-only (even for root, who could replace it anyway) or that we may not write. */
async function refuseReadOnly(path: string, target: string, stats: Stats | null): Promise<void> {
  if (stats === null) return;
  const writable =
    (stats.mode & 0o222) !== 0 &&
    (await access(target, constants.W_OK).then(
      () => true,
      () => false,
    ));
  if (!writable) throw new SettingError(progressFileReadOnlyText(path, target));
}

const statOrNull = (path: string) =>
  stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });

/** Ours: `<base>.tmp-<pid>-<hex>` for the file, its pending panels and its lock; `<base>.lock.<pid>.<hex>` from older versions. */
function temporaryPattern(base: string): RegExp {
  const name = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${name}(?:\\.pending-panels\\.json|\\.lock|\\.lock\\.takeover|\\.lock\\.next)?(?:\\.tmp-(\\d+)-|\\.lock(?:\\.takeover)?\\.(\\d+)\\.)[0-9a-f]+$`);
}

/** A temporary file outlives its writer only after a kill; the writer's pid being gone (or an hour passing) proves it. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Removes temporary files that killed writers left beside `file`; never one a live writer may still rename. */
async function sweepTemporaries(file: string, logger: Logger): Promise<void> {
  const folder = dirname(file);
  const pattern = temporaryPattern(basename(file));
  const names = await readdir(folder).catch(() => [] as string[]);
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const pid = Number(match[1] ?? match[2]);
    const path = join(folder, name);
    const stale = pid !== process.pid && processIsGone(pid);
    const old = !stale && Date.now() - ((await lstat(path).catch(() => null))?.mtimeMs ?? Date.now()) > STALE_TEMPORARY_MS;
    if (!stale && !old) continue;
    await unlink(path).then(
      () => logger.info(`removed ${path}, left by a writer that is gone`),
      () => {},
    );
  }
}

/**
 * Replaces the file with `text` atomically: a temporary file in the target's folder, fsync, rename. A symbolic link
 * is written through (its target is replaced, the link stays); the file's mode (and owner, for root) is kept.
 */
async function writeAtomically(path: string, text: string, logger: Logger): Promise<void> {
  const target = await writeTarget(path);
  const folder = dirname(target);
  await ensureFolder(folder);
  const existing = await statOrNull(target);
  await refuseReadOnly(path, target, existing);
  if (target !== path) await sweepTemporaries(target, logger);
  const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  // Synchronous but for the fsyncs, as in sync-fs.ts.
  const fd = openSync(temporary, 'wx', existing ? existing.mode & 0o7777 : 0o644);
  try {
    if (existing) {
      // The mode given to open() is cut by the umask; set it exactly. Root writing a user's file leaves it theirs.
      fchmodSync(fd, existing.mode & 0o7777);
      if (process.getuid?.() === 0 && (existing.uid !== 0 || existing.gid !== 0)) {
        try {
          fchownSync(fd, existing.uid, existing.gid);
        } catch {}
      }
    }
    writeFileSync(fd, encodeFileText(text));
    await fsyncAsync(fd);
  } catch (error) {
    closeQuietly(fd);
    await unlink(temporary).catch(() => {});
    throw error;
  }
  closeSync(fd);
  try {
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
  // Make the rename itself durable; not every file system lets a folder be opened, so this is best effort.
  let folderFd: number;
  try {
    folderFd = openSync(folder, 'r');
  } catch {
    return;
  }
  await fsyncAsync(folderFd).catch(() => {});
  closeQuietly(folderFd);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {}
}

/** File-system failures while writing become one sentence naming the progress file and what to change. */
async function explainingWriteErrors<T>(path: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof MilestoneError || typeof code !== 'string') throw error;
    throw new SettingError(progressFileUnwritableText(path, code, (error as Error).message));
  }
}

function throwIfCancelled(path: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError(progressChangeCancelledText(path));
}

export function createFileStore(options: FileStoreOptions): ProgressStore {
  const { path, logger } = options;
  const now = options.now ?? (() => new Date());
  const signalOf = (call: StoreCallOptions): AbortSignal | undefined =>
    call.signal && options.signal ? AbortSignal.any([call.signal, options.signal]) : (call.signal ?? options.signal);
  const lockPath = `${path}.lock`;
  /** Panels owed to a later checkExport (core/pending-panels.ts): beside the file, so its format stays the original's. */
  const pendingPath = `${path}.pending-panels.json`;
  /** Corrupt contents already backed up by this process, so a bad file is copied once, not per request. */
  const backups = new Map<string, string>();
  /** One operation at a time in this process, in arrival order: a read never overtakes an earlier change. */
  let queue: Promise<unknown> = Promise.resolve();
  /** Operations queued or running: with none, a read has nothing to wait for. */
  let busy = 0;
  const done = () => {
    busy--;
  };
  const serially = <T>(operation: () => Promise<T>): Promise<T> => {
    busy++;
    const result = queue.then(operation, operation);
    queue = result.then(done, done);
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
  let cached: { version: BigIntStats; progress: Progress } | null = null;

  /** The progress for this version of the file without reading it (missing, or the cached version), else null. */
  function fromCache(version: BigIntStats | 'missing' | null): Progress | null {
    if (version === 'missing') return EMPTY_PROGRESS;
    return version && cached && sameVersion(version, cached.version) ? cached.progress : null;
  }

  async function readProgress(): Promise<Progress> {
    // The version is taken before reading: a change made meanwhile gives another version next time, never a stale hit.
    const version = fileVersion(path);
    const known = fromCache(version);
    if (known) return known;
    const progress = await readProgressFile();
    cached = version && version !== 'missing' && settled(version) ? { version, progress } : null;
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
    // A folder we may not write to (or a full disk) leaves the file uncopied; it is still reported, and still left alone.
    let backup: string | null = null;
    let failed = '';
    try {
      backup = await backUp(text, 'corrupt');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      failed = backupFailedReason(code, dirname(path), (error as Error).message);
    }
    throw new MilestoneError('progress-file-corrupt', progressFileCorruptText(path, parsed.reason, backup === null ? { failed } : { path: backup }), { path, backup });
  }

  async function readPending(): Promise<PendingPanels> {
    const text = await readText(pendingPath);
    return text === null ? NO_PENDING_PANELS : parsePendingPanels(text);
  }

  /** Written before the progress: a crash in between leaves an entry for an unlock not on disk, which claimPanels ignores. */
  async function writePending(before: PendingPanels, after: PendingPanels | undefined): Promise<void> {
    if (after === undefined || serializePendingPanels(before) === serializePendingPanels(after)) return;
    if (after.length === 0) await unlink(pendingPath).catch(() => {});
    else await writeAtomically(pendingPath, serializePendingPanels(after), logger);
  }

  /** Re-reads under the lock and writes what changed: pending panels first, then the progress. */
  function lockedUpdate<T>(change: (current: Progress, pending: PendingPanels) => ProgressEdit<T>, signal: AbortSignal | undefined): Promise<ProgressChange<T>> {
    return explainingWriteErrors(path, async () => {
      await ensureFolder(dirname(path));
      return withLock(
        lockPath,
        async () => {
          const before = await readProgress();
          const pending = await readPending();
          const { progress: after, value, pending: pendingAfter } = change(before, pending);
          if (!sameProgress(before, after)) {
            // Refused before anything is written, pending panels included.
            const target = await writeTarget(path);
            await refuseReadOnly(path, target, await statOrNull(target));
          }
          await sweepTemporaries(path, logger);
          await writePending(pending, pendingAfter);
          if (sameProgress(before, after)) return { before, after: before, value };
          await writeAtomically(path, serializeProgress(after), logger);
          return { before, after, value };
        },
        { signal },
      );
    });
  }

  return {
    path,
    // The warm path: nothing queued and the file unchanged is one stat, no queue and no await.
    read: () => {
      const known = busy === 0 ? fromCache(fileVersion(path)) : null;
      return known ? Promise.resolve(known) : serially(readProgress);
    },
    update: <T>(change: (current: Progress, pending: PendingPanels) => ProgressEdit<T>, options: StoreCallOptions = {}) =>
      serially(async () => {
        const signal = signalOf(options);
        throwIfCancelled(path, signal);
        // Most requests change nothing (a repeated export, a completed milestone): answer those without the lock,
        // the folder or a write. The change is pure, so it is simply applied again under the lock otherwise.
        const seen = await readProgress();
        const seenPending = await readPending();
        const preview = change(seen, seenPending);
        const pendingUnchanged = preview.pending === undefined || serializePendingPanels(preview.pending) === serializePendingPanels(seenPending);
        if (pendingUnchanged && sameProgress(seen, preview.progress)) return { before: seen, after: seen, value: preview.value };
        return lockedUpdate(change, signal);
      }),
    repair: (options: StoreCallOptions = {}) =>
      serially(() =>
        explainingWriteErrors(path, async () => {
          const signal = signalOf(options);
          throwIfCancelled(path, signal);
          await ensureFolder(dirname(path));
          // Run by a person to get out of trouble: a lock nobody will release is removed, a stuck holder taken over.
          return withLock(
            lockPath,
            async () => {
              const target = await writeTarget(path);
              await refuseReadOnly(path, target, await statOrNull(target));
              const text = await readText(path);
              let backup: string | null = null;
              if (text !== null) backup = await backUp(text, parseProgress(text).ok ? 'backup' : 'corrupt');
              await sweepTemporaries(path, logger);
              await writeAtomically(path, serializeProgress(EMPTY_PROGRESS), logger);
              // A fresh start owes tito no panels.
              await unlink(pendingPath).catch(() => {});
              backups.clear();
              return { backup };
            },
            { signal, breakStuck: true },
          );
        }),
      ),
  };
}
