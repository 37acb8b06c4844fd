// The cross-process lock file on real temp folders: live holders are waited for, dead or unreadable ones taken over.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { asNobody } from '../helpers/process.js';
import { scaled } from '../helpers/time.js';
import { withTimeout } from '../helpers/timeout.js';
import { CancelledError, SettingError } from '../../protocol/index.js';
import { acquireLock, startFromProcStat, withLock } from '../../src/adapters/lock.js';

const here = dirname(fileURLToPath(import.meta.url));
const LOCK_HOLDER = join(here, '../fixtures/lock-holder.ts');
const LOCK_TRY = join(here, '../fixtures/lock-try.ts');

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

/** What our lock file holds: pid, host, and (on Linux) the start time that tells us from a later process with our pid. */
function ownContent(): string {
  if (process.platform !== 'linux') return `${process.pid} ${hostname()}\n`;
  return `${process.pid} ${hostname()} ${startFromProcStat(readFileSync('/proc/self/stat', 'utf8'))}\n`;
}

/** Waits for the lock and reports how it ended, how long it took and how much CPU this process burned meanwhile. */
async function tryLock(lockPath: string, options: Parameters<typeof acquireLock>[1]): Promise<{ error: Error | null; ms: number; cpuMs: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let error: Error | null = null;
  try {
    const release = await withTimeout(acquireLock(lockPath, options), scaled(10_000), `the lock ${lockPath} to give up or be taken`);
    await release();
  } catch (caught) {
    error = caught as Error;
  }
  const used = process.cpuUsage(cpu);
  return { error, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

test('the lock holds our pid, host and start time while held, and is gone after release', async () => {
  const { folder, lockPath } = await tempLock();
  const release = await withTimeout(acquireLock(lockPath), 2_000, 'a free lock');
  if (process.platform === 'linux') assert.is(await readFile(lockPath, 'utf8'), ownContent());
  else assert.ok((await readFile(lockPath, 'utf8')).startsWith(`${process.pid} ${hostname()}`));
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
    assert.instance(error, SettingError);
    assert.match(
      (error as Error).message,
      new RegExp(`^Could not lock the progress file within 0.2 s: .*names process ${process.pid} on .*, which is still running; .*delete .*progress.json.lock`),
    );
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
    assert.is(await readFile(lockPath, 'utf8'), ownContent());
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
    assert.match((error as Error).message, /Could not lock the progress file within 0.1 s: .* names process \d+ on some-other-host.example/);
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
  const parent = spawn(
    'python3',
    [
      '-c',
      `
import subprocess, sys, time, os, signal
holder = subprocess.Popen([sys.argv[1], "--import", "tsx", sys.argv[2], sys.argv[3]], stdout=subprocess.PIPE)
holder.stdout.readline()
os.kill(holder.pid, signal.SIGKILL)
print(holder.pid, flush=True)
time.sleep(30)
`,
      process.execPath,
      holderScript,
      lockPath,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const pid = await withTimeout(
      new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString())))),
      scaled(10_000),
      'the holder to be killed',
    );
    // SIGKILL is delivered asynchronously: wait for the holder to become a zombie (a loaded machine takes a moment).
    for (let waited = 0; waited < scaled(5_000) && !/ Z /.test(await readFile(`/proc/${pid}/stat`, 'utf8')); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.match(await readFile(`/proc/${pid}/stat`, 'utf8'), / Z /, 'the holder is a zombie');
    const started = Date.now();
    const release = await withTimeout(acquireLock(lockPath, { timeoutMs: 60_000 }), scaled(10_000), 'the zombie lock to be taken over');
    assert.ok(Date.now() - started < scaled(2_000), 'taken over at once, not after the time limit');
    await release();
  } finally {
    parent.kill('SIGKILL');
  }
});

// ---- A1: nothing at the lock path makes the wait spin or hang ----

test('a lock path that no holder will release (a folder, a dangling symlink) times out with one sentence, without spinning', async () => {
  for (const [kind, make, reason] of [
    ['a folder', (path: string) => mkdir(path), 'it is a folder'],
    ['a dangling symlink', (path: string) => symlink(join(dirname(path), 'nowhere'), path), 'it is a symbolic link'],
    [
      'a symlink to a folder',
      async (path: string) => {
        await mkdir(`${path}-target`);
        await symlink(`${path}-target`, path);
      },
      'it is a symbolic link',
    ],
  ] as const) {
    const { lockPath } = await tempLock();
    await make(lockPath);
    const { error, ms, cpuMs } = await tryLock(lockPath, { timeoutMs: 400 });
    assert.instance(error, SettingError, kind);
    assert.is(
      error?.message,
      `Could not lock the progress file within 0.4 s: ${lockPath} cannot be used as its lock (${reason}); delete ${lockPath} or run "tinytorch-milestones repair".`,
    );
    assert.ok(ms >= 400, `${kind}: waited for the deadline (${ms.toFixed(0)} ms)`);
    assert.ok(cpuMs < ms / 2, `${kind}: backed off instead of spinning (${cpuMs.toFixed(0)} ms CPU over ${ms.toFixed(0)} ms)`);
  }
});

test('a takeover guard naming a live process beside a dead lock: back-off, the deadline, and a sentence naming the guard', async () => {
  const { lockPath } = await tempLock();
  await writeFile(`${lockPath}.takeover`, ownContent());
  await writeFile(lockPath, `${DEAD_PID} ${hostname()}\n`);
  const { error, ms, cpuMs } = await tryLock(lockPath, { timeoutMs: 400 });
  assert.instance(error, SettingError);
  assert.is(
    error?.message,
    `Could not lock the progress file within 0.4 s: a takeover of ${lockPath} by process ${process.pid} on ${hostname()} is stuck; delete ${lockPath}.takeover or run "tinytorch-milestones repair".`,
  );
  assert.ok(cpuMs < ms / 2, `backed off instead of spinning (${cpuMs.toFixed(0)} ms CPU over ${ms.toFixed(0)} ms)`);
});

test('a FIFO at the next-turn path holds nothing: it is removed and the lock taken', async () => {
  const { lockPath } = await tempLock();
  spawnSync('mkfifo', [`${lockPath}.next`]);
  // In a process of its own: a read that waited for the FIFO's writer would hang it, not this test run.
  const result = spawnSync(process.execPath, ['--import', 'tsx', LOCK_TRY, lockPath, '5000'], { encoding: 'utf8', timeout: scaled(30_000), cwd: join(here, '../..') });
  assert.is(result.status, 0, `${result.error ?? ''} ${result.stderr}`);
  assert.equal(JSON.parse(result.stdout).ok, true);
  assert.not.ok(existsSync(`${lockPath}.next`));
});

test('the wait ends at once when its signal is aborted', async () => {
  const { lockPath } = await tempLock();
  for (const make of [() => writeFile(lockPath, ownContent()), () => mkdir(lockPath)]) {
    await rm(lockPath, { recursive: true, force: true });
    await make();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const { error } = await tryLock(lockPath, { timeoutMs: 60_000, signal: controller.signal });
    assert.instance(error, CancelledError, 'ended by the signal, long before its 60 s deadline');
    assert.is(error?.message, `Stopped waiting for the progress file lock ${lockPath}.`);
  }
  const aborted = AbortSignal.abort();
  const { error } = await tryLock(join(dirname(lockPath), 'free.lock'), { signal: aborted });
  assert.instance(error, CancelledError, 'an already aborted signal never takes the lock');
});

test('a root-owned 0600 lock file seen by another user times out with one sentence, without spinning', async () => {
  const nobody = asNobody();
  if (!nobody) {
    console.warn('skipped: needs root, setpriv and a checkout the nobody user can read');
    return;
  }
  const { folder, lockPath } = await tempLock();
  await chmod(folder, 0o777);
  await writeFile(lockPath, ownContent(), { mode: 0o600 });
  const result = spawnSync(nobody[0]!, [...nobody.slice(1), process.execPath, '--import', 'tsx', LOCK_TRY, lockPath, '400'], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd: join(here, '../..'),
  });
  assert.is(result.status, 0, result.stderr);
  const outcome = JSON.parse(result.stdout) as { ok: boolean; name: string; message: string; ms: number; cpuMs: number };
  assert.equal([outcome.ok, outcome.name], [false, 'SettingError']);
  assert.is(
    outcome.message,
    `Could not lock the progress file within 0.4 s: ${lockPath} cannot be used as its lock (it cannot be read (permission denied)); delete ${lockPath} or run "tinytorch-milestones repair".`,
  );
  assert.ok(outcome.cpuMs < outcome.ms / 2, `backed off instead of spinning (${outcome.cpuMs.toFixed(0)} ms CPU over ${outcome.ms.toFixed(0)} ms)`);
});

// ---- A2: an identity that survives pid reuse, and a way out ----

test('a lock or guard naming a live pid with another start time (the pid was reused) is taken over at once', async () => {
  if (process.platform !== 'linux') return;
  const { folder, lockPath } = await tempLock();
  // Our own pid, but started at another time: the holder that wrote it is gone and its pid now belongs to us.
  const reused = `${process.pid} ${hostname()} 1\n`;
  for (const [lock, guard] of [
    [reused, null],
    [`${DEAD_PID} ${hostname()}\n`, reused],
  ] as const) {
    await writeFile(lockPath, lock);
    if (guard) await writeFile(`${lockPath}.takeover`, guard);
    const started = performance.now();
    const release = await withTimeout(acquireLock(lockPath, { timeoutMs: 60_000 }), scaled(10_000), 'a lock with a reused pid');
    assert.ok(performance.now() - started < scaled(2_000), 'taken over without waiting for the time limit');
    assert.is(await readFile(lockPath, 'utf8'), ownContent());
    await release();
  }
  assert.equal(await readdir(folder), []);
});

test('a lock from an older version (pid and host only) naming a live pid is still waited for', async () => {
  const { lockPath } = await tempLock();
  await writeFile(lockPath, `${process.pid} ${hostname()}\n`);
  const { error } = await tryLock(lockPath, { timeoutMs: 150 });
  assert.instance(error, SettingError);
});

test('a holder that exits through process.exit (SIGTERM) without its finally blocks leaves no lock behind', async () => {
  const { lockPath } = await tempLock();
  const holder = spawn(process.execPath, ['--import', 'tsx', LOCK_HOLDER, lockPath], { cwd: join(here, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await withTimeout(new Promise((resolve) => holder.stdout.once('data', resolve)), 20_000, 'the holder to take the lock');
    assert.ok(existsSync(lockPath));
    holder.kill('SIGTERM');
    const code = await withTimeout(new Promise((resolve) => holder.once('exit', resolve)), 10_000, 'the holder to exit');
    assert.is(code, 143);
    assert.not.ok(existsSync(lockPath), 'the exit hook released the lock');
  } finally {
    holder.kill('SIGKILL');
  }
});

test('repair (breakStuck) removes a folder or symlink at the lock path at once, and takes over a live holder at the deadline', async () => {
  const { folder, lockPath } = await tempLock();
  await mkdir(lockPath);
  const started = performance.now();
  let release = await withTimeout(acquireLock(lockPath, { timeoutMs: 60_000, breakStuck: true }), scaled(10_000), 'repair over a folder');
  assert.ok(performance.now() - started < scaled(2_000), 'a folder is removed at once');
  await release();
  await symlink(join(folder, 'nowhere'), lockPath);
  release = await withTimeout(acquireLock(lockPath, { timeoutMs: 60_000, breakStuck: true }), scaled(10_000), 'repair over a symlink');
  await release();
  await writeFile(lockPath, `${process.pid} ${hostname()}\n`);
  release = await withTimeout(acquireLock(lockPath, { timeoutMs: 200, breakStuck: true }), 6_000, 'repair over a live holder');
  assert.is(await readFile(lockPath, 'utf8'), ownContent());
  await release();
  await mkdir(lockPath);
  await writeFile(join(lockPath, 'keep-me'), 'a user file');
  const { error } = await tryLock(lockPath, { timeoutMs: 200, breakStuck: true });
  assert.instance(error, SettingError, 'a folder with files in it is never deleted');
  assert.ok(existsSync(join(lockPath, 'keep-me')));
});

test.run();
