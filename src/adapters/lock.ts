// A cross-process lock file that records its holder's pid and is taken over at once when that pid is gone.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LockOptions {
  /** How long to wait for a live holder before giving up. */
  readonly timeoutMs?: number;
}

const HOST = hostname();

function identity(): string {
  return `${process.pid} ${HOST}\n`;
}

function holderIsAlive(content: string): boolean {
  const [pidText, host] = content.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // A holder on another host cannot be probed; treat it as alive (the progress file is per user, per host).
  if (host && host !== HOST) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** A killed holder whose parent has not reaped it yet still answers kill(0); on Linux, /proc shows it is dead. */
function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** Creates `path` holding our identity, atomically: the content is complete the moment the file exists. */
async function createExclusive(path: string): Promise<boolean> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, identity());
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

/** Removes a dead holder's lock; a short guard lock makes sure two takers never both remove a fresh one. */
async function takeOver(lockPath: string, deadContent: string): Promise<void> {
  const guard = `${lockPath}.takeover`;
  if (!(await createExclusive(guard))) {
    const guardContent = await readOrNull(guard);
    if (guardContent !== null && !holderIsAlive(guardContent)) await unlink(guard).catch(() => {});
    return;
  }
  try {
    if ((await readOrNull(lockPath)) === deadContent) await unlink(lockPath).catch(() => {});
  } finally {
    await unlink(guard).catch(() => {});
  }
}

export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let delayMs = 1;
  for (;;) {
    if (await createExclusive(lockPath)) {
      const mine = identity();
      return async () => {
        if ((await readOrNull(lockPath)) === mine) await unlink(lockPath).catch(() => {});
      };
    }
    const holder = await readOrNull(lockPath);
    if (holder === null) continue; // released between our two looks
    if (!holderIsAlive(holder)) {
      await takeOver(lockPath, holder);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for the lock ${lockPath}, held by process ${holder.trim().split(' ')[0]}`);
    }
    await sleep(delayMs + Math.random() * delayMs);
    delayMs = Math.min(delayMs * 2, 25);
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
