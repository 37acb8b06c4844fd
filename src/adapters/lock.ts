// A cross-process lock file naming its holder (pid, host, start time), taken over at once when that process is gone.
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, SettingError } from '../../protocol/plain.js';
import { lockCancelledText, lockTimeoutText, lockUnremovableReason, lockUnusableReason, type LockBlocker } from '../core/messages.js';
import { link, lstat, readFile, rmdir, unlink, writeFile } from './sync-fs.js';

export interface LockOptions {
  /** How long to wait for the lock before giving up with one sentence. */
  readonly timeoutMs?: number;
  /** Ends the wait at once (a cancelled request, a signal to the CLI). */
  readonly signal?: AbortSignal;
  /**
   * For `repair`, run by a person: a lock path that can never be released (a folder, a symlink, an unreadable file)
   * is removed at once, and a holder still there at the deadline is taken over instead of failing.
   */
  readonly breakStuck?: boolean;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
const HOST = hostname();
const MAX_DELAY_MS = 25;
/**
 * Fairness: a process that releases the lock and takes it again at once (a sidecar with a queue of writes) would
 * starve the waiters, who only poll. A waiter that has waited this long claims the next turn (`<lock>.next`, one
 * claimant at a time); while a live claimant holds the turn, nobody else takes the free lock.
 */
const CLAIM_TURN_AFTER_MS = 100;
/** A turn not used within this long is ignored (its claimant is stuck or gone). */
const TURN_EXPIRES_MS = 2_000;
/** However busy the lock, a wait ends after this many time limits. */
const HARD_LIMIT_TIMES = 6;

/**
 * When a process started, as a token that differs between two processes that had the same pid: the start time in
 * clock ticks since boot from /proc/<pid>/stat on Linux, `ps -o lstart=` elsewhere (macOS). Null when unknown.
 */
export async function processStartTime(pid: number): Promise<string | null> {
  if (process.platform === 'linux') {
    try {
      return startFromProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return null;
    }
  }
  return new Promise((resolve) => {
    // node:child_process on first use: loading it costs every start a few ms (issue 9 (a)), and this is rare.
    process.getBuiltinModule('node:child_process').execFile('ps', ['-o', 'lstart=', '-p', String(pid)], { timeout: 5_000 }, (error, stdout) => {
      const token = error ? '' : stdout.trim().replace(/\s+/g, '_');
      resolve(token === '' ? null : token);
    });
  });
}

/** Field 22 (starttime) of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function startFromProcStat(stat: string): string | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[19];
  return start && /^\d+$/.test(start) ? start : null;
}

/** A killed process whose parent has not reaped it yet still answers kill(0); on Linux, /proc shows it is dead. */
function isZombie(stat: string | null): boolean {
  return stat !== null && /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
}

let ownIdentity: Promise<string> | null = null;
/** `<pid> <host> <start>\n`: older versions read the first two fields and ignore the third. */
function identity(): Promise<string> {
  ownIdentity ??= processStartTime(process.pid).then((start) => `${process.pid} ${HOST}${start ? ` ${start}` : ''}\n`);
  return ownIdentity;
}

interface Holder {
  readonly pid: number;
  readonly host: string | null;
  readonly start: string | null;
}

function parseHolder(content: string): Holder | null {
  const [pidText, host, start] = content.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!/^\d+$/.test(pidText ?? '') || !Number.isSafeInteger(pid) || pid <= 0) return null;
  return { pid, host: host ?? null, start: start ?? null };
}

/** Alive unless provably gone: no such pid, a zombie, or a pid now used by a process that started at another time. */
async function holderIsAlive(holder: Holder): Promise<boolean> {
  // A holder on another host cannot be probed; treat it as alive (the progress file is per user, per host).
  if (holder.host && holder.host !== HOST) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform === 'linux') {
    let stat: string | null = null;
    try {
      stat = await readFile(`/proc/${holder.pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    if (isZombie(stat)) return false;
    const start = startFromProcStat(stat);
    return holder.start === null || start === null || start === holder.start;
  }
  if (holder.start === null) return true;
  const start = await processStartTime(holder.pid);
  return start === null || start === holder.start;
}

/** Creates `path` holding our identity, atomically: the content is complete the moment the file exists. */
async function createExclusive(path: string): Promise<boolean> {
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, await identity());
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => {});
  }
}

/** What sits at a lock path we could not create: nothing any more, a holder, or something no holder will ever release. */
type Look = { kind: 'gone' } | { kind: 'holder'; content: string; holder: Holder | null; alive: boolean } | { kind: 'unusable'; reason: string };

async function look(path: string): Promise<Look> {
  try {
    const stats = await lstat(path);
    if (stats.isDirectory()) return { kind: 'unusable', reason: lockUnusableReason('folder') };
    if (stats.isSymbolicLink()) return { kind: 'unusable', reason: lockUnusableReason('symbolic-link') };
    if (!stats.isFile()) return { kind: 'unusable', reason: lockUnusableReason('not-a-file') };
    const content = await readFile(path, 'utf8');
    const holder = parseHolder(content);
    return { kind: 'holder', content, holder, alive: holder !== null && (await holderIsAlive(holder)) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'gone' };
    return { kind: 'unusable', reason: code === 'EACCES' || code === 'EPERM' ? lockUnusableReason('unreadable') : (error as Error).message };
  }
}

/**
 * Removes a dead holder's lock; a short guard lock makes sure two takers never both remove a fresh one.
 * Returns what still blocks us, or null when the lock was removed.
 */
async function takeOver(lockPath: string, deadContent: string): Promise<LockBlocker | null> {
  const guard = `${lockPath}.takeover`;
  if (!(await createExclusive(guard))) {
    const guardLook = await look(guard);
    if (guardLook.kind === 'gone') return { kind: 'busy' };
    if (guardLook.kind === 'holder' && !guardLook.alive) {
      // A dead taker's guard: removed only while it is still that one; the lock itself is looked at again next pass.
      if ((await readFile(guard, 'utf8').catch(() => null)) === guardLook.content) await unlink(guard).catch(() => {});
      return { kind: 'busy' };
    }
    return guardLook.kind === 'holder'
      ? { kind: 'guard', path: guard, pid: guardLook.holder?.pid ?? null, host: guardLook.holder?.host ?? null }
      : { kind: 'unusable', path: guard, reason: guardLook.reason };
  }
  try {
    if ((await readFile(lockPath, 'utf8').catch(() => null)) !== deadContent) return { kind: 'busy' };
    try {
      await unlink(lockPath);
      return null;
    } catch (error) {
      return { kind: 'unusable', path: lockPath, reason: lockUnremovableReason((error as NodeJS.ErrnoException).code ?? (error as Error).message) };
    }
  } finally {
    await unlink(guard).catch(() => {});
  }
}

/** Another live process's claim on the next turn (a fresh `<lock>.next` naming it), or null; a stale turn is removed. */
async function turnTakenByOther(turnPath: string): Promise<string | null> {
  let content: string;
  let ageMs: number;
  try {
    const stats = await lstat(turnPath);
    ageMs = Date.now() - stats.mtimeMs;
    content = await readFile(turnPath, 'utf8');
  } catch {
    return null;
  }
  if (content === (await identity())) return null;
  const holder = parseHolder(content);
  if (holder !== null && ageMs < TURN_EXPIRES_MS && (await holderIsAlive(holder))) return content;
  if ((await readFile(turnPath, 'utf8').catch(() => null)) === content) await unlink(turnPath).catch(() => {});
  return null;
}

async function giveUpTurn(turnPath: string): Promise<void> {
  const mine = await identity();
  if ((await readFile(turnPath, 'utf8').catch(() => null)) === mine) await unlink(turnPath).catch(() => {});
}

/** For `repair`: removes whatever blocks the lock path (a file, a symlink, an empty folder). True when it went. */
async function removeBlocker(path: string): Promise<boolean> {
  try {
    const stats = await lstat(path);
    await (stats.isDirectory() ? rmdir(path) : unlink(path));
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Locks this process holds, released even when it exits without running its `finally` blocks (process.exit on SIGTERM). */
const held = new Map<string, string>();
let exitHookInstalled = false;
function releaseAllAtExit(): void {
  for (const [path, content] of held) {
    try {
      if (readFileSync(path, 'utf8') === content) unlinkSync(path);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const turnPath = `${lockPath}.next`;
  try {
    return await acquire(lockPath, turnPath, options);
  } finally {
    await giveUpTurn(turnPath);
  }
}

async function acquire(lockPath: string, turnPath: string, options: LockOptions): Promise<() => Promise<void>> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const { signal } = options;
  const started = Date.now();
  let deadline = started + timeoutMs;
  // The time limit is for one holder (or one unusable lock path) that stays: a lock that keeps changing hands is
  // progress, so each new holder gives another timeoutMs, up to a hard limit.
  const hardDeadline = started + HARD_LIMIT_TIMES * timeoutMs;
  let lastBlocker = '';
  let delayMs = 1;
  let brokeStuck = false;
  let haveTurn = false;
  let blocker: LockBlocker = { kind: 'busy' };
  const cancelled = () => new CancelledError(lockCancelledText(lockPath));
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw cancelled();
    // Checked on every pass, whatever was seen: nothing at the lock path can make this loop run forever.
    if (attempt > 0 && Date.now() >= deadline) {
      if (options.breakStuck && !brokeStuck) {
        brokeStuck = true;
        const path = 'path' in blocker && blocker.path ? blocker.path : lockPath;
        if (await removeBlocker(path)) {
          deadline = Date.now() + timeoutMs;
          continue;
        }
      }
      throw new SettingError(lockTimeoutText(lockPath, timeoutMs, blocker));
    }
    if (!haveTurn && Date.now() - started >= CLAIM_TURN_AFTER_MS) haveTurn = await createExclusive(turnPath).catch(() => false);
    const otherTurn = haveTurn ? null : await turnTakenByOther(turnPath);
    const yieldToTurn = otherTurn !== null;
    // Another waiter's turn is progress too: the lock is moving, not stuck.
    if (otherTurn !== null && otherTurn !== lastBlocker) {
      if (lastBlocker !== '') deadline = Math.max(deadline, Math.min(Date.now() + timeoutMs, hardDeadline));
      lastBlocker = otherTurn;
    }
    // A waiter looks before it tries: creating and removing a temporary file at every poll would crowd the folder that
    // the holder is writing and syncing.
    let seen: Look | null = attempt > 0 && !yieldToTurn ? await look(lockPath) : null;
    if (!yieldToTurn && (seen === null || seen.kind === 'gone') && (await createExclusive(lockPath))) {
      const mine = await identity();
      held.set(lockPath, mine);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.once('exit', releaseAllAtExit);
      }
      return async () => {
        held.delete(lockPath);
        if ((await readFile(lockPath, 'utf8').catch(() => null)) === mine) await unlink(lockPath).catch(() => {});
      };
    }
    if (yieldToTurn) seen = { kind: 'gone' };
    else if (seen === null || seen.kind === 'gone') seen = await look(lockPath);
    if (seen.kind === 'gone') {
      blocker = { kind: 'busy' };
      if (attempt === 0 && !yieldToTurn) continue; // released between our two looks: try again at once, once
    } else if (seen.kind === 'unusable') {
      blocker = { kind: 'unusable', path: lockPath, reason: seen.reason };
      if (options.breakStuck && !brokeStuck) deadline = 0;
    } else if (seen.alive) {
      blocker = { kind: 'holder', path: lockPath, pid: seen.holder?.pid ?? null, host: seen.holder?.host ?? null };
      if (seen.content !== lastBlocker && lastBlocker !== '') deadline = Math.max(deadline, Math.min(Date.now() + timeoutMs, hardDeadline));
      lastBlocker = seen.content;
    } else {
      const still = await takeOver(lockPath, seen.content);
      if (still === null) continue; // the dead holder's lock is gone: take it now
      blocker = still;
    }
    try {
      await sleep(delayMs + Math.random() * delayMs, undefined, signal ? { signal } : undefined);
    } catch {
      throw cancelled();
    }
    // The claimant of the next turn looks often, so the turn is not wasted.
    delayMs = Math.min(delayMs * 2, haveTurn ? 4 : MAX_DELAY_MS);
  }
}

export async function withLock<T>(lockPath: string, action: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await acquireLock(lockPath, options);
  try {
    return await action();
  } finally {
    await release();
  }
}
