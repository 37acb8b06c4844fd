// The cross-process lock file on real temp folders: live holders are waited for, dead or unreadable ones taken over.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scaled } from '../helpers/time.js';
import { withTimeout } from '../helpers/timeout.js';
import { acquireLock, withLock } from '../../src/adapters/lock.js';

/** A pid no process has: above Linux's largest pid_max and macOS's pid range. */
const DEAD_PID = 2_147_483_646;
const folders: string[] = [];

async function tempLock(): Promise<{ folder: string; lockPath: string }> {
  const folder = await mkdtemp(join(tmpdir(), 'lock-test-'));
  folders.push(folder);
  return { folder, lockPath: join(folder, 'progress.json.lock') };
}


test.after(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

test('the lock holds our pid and host while held, and is gone after release', async () => {
  const { folder, lockPath } = await tempLock();
  const release = await withTimeout(acquireLock(lockPath), 2_000, 'a free lock');
  assert.is(await readFile(lockPath, 'utf8'), `${process.pid} ${hostname()}\n`);
  await release();
  assert.equal(await readdir(folder), []);
});

test('a live holder is waited for until the time limit, and the error names it', async () => {
  const { lockPath } = await tempLock();
  await writeFile(lockPath, `${process.pid} ${hostname()}\n`);
  const started = Date.now();
  try {
    await withTimeout(acquireLock(lockPath, { timeoutMs: 150 }), 5_000, 'the lock to give up');
    assert.unreachable('a live holder must not be taken over');
  } catch (error) {
    assert.match((error as Error).message, new RegExp(`timed out waiting for the lock .*held by process ${process.pid}`));
  }
  assert.ok(Date.now() - started >= 150);
  assert.ok(existsSync(lockPath), "the live holder's lock is left alone");
});

test('withLock runs actions one at a time', async () => {
  const { lockPath } = await tempLock();
  let inside = 0;
  let most = 0;
  const action = async () => {
    inside++;
    most = Math.max(most, inside);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inside--;
  };
  await withTimeout(Promise.all(Array.from({ length: 8 }, () => withLock(lockPath, action))), 10_000, 'eight locked actions');
  assert.is(most, 1);
  assert.not.ok(existsSync(lockPath));
});

test('a lock of a dead pid, or with unreadable content, is taken over at once', async () => {
  const { folder, lockPath } = await tempLock();
  for (const content of [`${DEAD_PID} ${hostname()}\n`, `${DEAD_PID}\n`, 'garbage', '']) {
    await writeFile(lockPath, content);
    const started = performance.now();
    const release = await withTimeout(acquireLock(lockPath, { timeoutMs: 5_000 }), 5_000, `a lock holding ${JSON.stringify(content)}`);
    assert.ok(performance.now() - started < scaled(2_000), 'taken over without waiting for the time limit');
    assert.is(await readFile(lockPath, 'utf8'), `${process.pid} ${hostname()}\n`);
    await release();
  }
  assert.equal(await readdir(folder), []);
});

test('a holder on another host is treated as alive', async () => {
  const { lockPath } = await tempLock();
  await writeFile(lockPath, `${DEAD_PID} some-other-host.example\n`);
  try {
    await withTimeout(acquireLock(lockPath, { timeoutMs: 100 }), 5_000, 'the lock to give up');
    assert.unreachable('a holder that cannot be probed must not be taken over');
  } catch (error) {
    assert.match((error as Error).message, /timed out waiting for the lock/);
  }
});

test("a takeover guard left by a dead process is cleared, and release never removes another holder's lock", async () => {
  const { folder, lockPath } = await tempLock();
  await writeFile(`${lockPath}.takeover`, `${DEAD_PID} ${hostname()}\n`);
  await writeFile(lockPath, `${DEAD_PID} ${hostname()}\n`);
  const release = await withTimeout(acquireLock(lockPath, { timeoutMs: 5_000 }), 5_000, 'a lock behind a stale guard');
  assert.not.ok(existsSync(`${lockPath}.takeover`));
  // Someone else's lock now (as after a wrongful takeover): releasing ours must leave it.
  await writeFile(lockPath, `${DEAD_PID} elsewhere\n`);
  await release();
  assert.is(await readFile(lockPath, 'utf8'), `${DEAD_PID} elsewhere\n`);
  await rm(lockPath);
  assert.equal(await readdir(folder), []);
});

test('a holder killed but not yet reaped by its parent (a zombie) is taken over at once', async () => {
  if (process.platform !== 'linux') return;
  const { lockPath } = await tempLock();
  const holderScript = new URL('../fixtures/lock-holder.ts', import.meta.url).pathname;
  // Python's Popen does not reap a child until poll(): the killed holder stays a zombie while the parent sleeps.
  const parent = spawn('python3', ['-c', `
import subprocess, sys, time, os, signal
holder = subprocess.Popen([sys.argv[1], "--import", "tsx", sys.argv[2], sys.argv[3]], stdout=subprocess.PIPE)
holder.stdout.readline()
os.kill(holder.pid, signal.SIGKILL)
print(holder.pid, flush=True)
time.sleep(30)
`, process.execPath, holderScript, lockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const pid = await withTimeout(new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString())))), 10_000, 'the holder to be killed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(await readFile(`/proc/${pid}/stat`, 'utf8'), / Z /, 'the holder is a zombie');
    const started = Date.now();
    const release = await withTimeout(acquireLock(lockPath, { timeoutMs: 5_000 }), 6_000, 'the zombie lock to be taken over');
    assert.ok(Date.now() - started < scaled(2_000), 'taken over at once, not after the time limit');
    await release();
  } finally {
    parent.kill('SIGKILL');
  }
});

test.run();
