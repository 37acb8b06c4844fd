// The progress file store on real temp folders: format, reads that never write, corrupt files, repair, and writers in other processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scaled } from '../helpers/time.js';
import { withTimeout } from '../helpers/timeout.js';
import { MilestoneError, SettingError } from '../../protocol/index.js';
import { createFileStore } from '../../src/adapters/store.js';
import { builtinCatalog } from '../../src/core/catalog.js';
import { EMPTY_PROGRESS, serializeProgress } from '../../src/core/progress.js';
import { completeMilestone, recordModule } from '../../src/core/rules.js';
import type { Logger, ProgressStore } from '../../src/ports.js';

const here = dirname(fileURLToPath(import.meta.url));
const PROJECT = join(here, '../..');
const WRITER = join(here, '../fixtures/store-writer.ts');
const LOCK_HOLDER = join(here, '../fixtures/lock-holder.ts');
const seed = builtinCatalog('seed');
const silent: Logger = { info() {}, warn() {}, error() {} };

const folders: string[] = [];
const children = new Set<ChildProcess>();

async function tempDir(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'store-test-'));
  folders.push(folder);
  return folder;
}

function newStore(path: string): ProgressStore {
  return createFileStore({ path, logger: silent });
}

function recordModuleEdit(current: Parameters<typeof recordModule>[1], module: string) {
  return { progress: recordModule(seed, current, module).progress, value: null };
}

function addModule(store: ProgressStore, module: string) {
  return store.update((current) => ({ progress: recordModule(seed, current, module).progress, value: null }));
}

/** Runs a fixture script under tsx with the project's node; tracked so `after` can end it. */
function spawnFixture(script: string, args: readonly string[]): ChildProcess & { output: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (output.stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (output.stderr += text));
  children.add(child);
  child.once('exit', () => children.delete(child));
  return Object.assign(child, { output });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function stdoutLine(child: ChildProcess & { output: { stdout: string } }, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const look = () => {
      const match = child.output.stdout.match(pattern);
      if (match) {
        child.stdout?.off('data', look);
        child.off('exit', gone);
        resolve(match);
      }
    };
    const gone = () => reject(new Error(`the fixture exited before printing ${pattern}`));
    child.stdout?.on('data', look);
    child.once('exit', gone);
    look();
  });
}

/** What Python's json.dumps(obj, indent=2) prints, without a trailing newline: the original's format. */
function pythonDumps(value: unknown): string {
  const result = spawnSync('python3', ['-c', 'import json, sys; print(json.dumps(json.load(sys.stdin), indent=2), end="")'], {
    input: JSON.stringify(value),
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.error?.message ?? result.stderr}`);
  return result.stdout;
}

async function assertRejectsCorrupt(promise: Promise<unknown>, path: string): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, MilestoneError);
    const failure = error as MilestoneError<'progress-file-corrupt'>;
    assert.is(failure.kind, 'progress-file-corrupt');
    assert.is(failure.code, 1004);
    assert.is(failure.data.kind, 'progress-file-corrupt');
    assert.is(failure.data.path, path);
    assert.type(failure.data.backup, 'string');
    assert.ok(failure.data.backup?.startsWith(`${path}.corrupt-`), `backup ${failure.data.backup} sits next to the file`);
    assert.ok(failure.message.includes(path) && failure.message.includes(failure.data.backup ?? '?'), 'the message names both paths');
    return failure.data.backup ?? '';
  }
  throw new Error('expected progress-file-corrupt, but the call succeeded');
}

test.after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await withTimeout(Promise.all([...children].map(exited)), 5_000, 'fixture processes to end');
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

// ---- reading ----

test('a missing file reads as empty progress and nothing is created, not even its folder', async () => {
  const folder = await tempDir();
  const path = join(folder, 'home', '.tinytorch', 'progress.json');
  const store = newStore(path);
  const progress = await store.read();
  assert.equal([progress.completedModules, progress.unlockedMilestones, progress.completedMilestones], [[], [], []]);
  assert.not.ok(existsSync(join(folder, 'home')), 'a read does not create the folder');
});

test('reads never rewrite a file, even one in another format or missing keys', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const original = '{"completed_modules":["01_tensor"],"extra":1}';
  await writeFile(path, original);
  const before = await stat(path);
  const store = newStore(path);
  const progress = await store.read();
  assert.equal(progress.completedModules, ['01_tensor']);
  assert.equal(progress.unlockedMilestones, []);
  assert.is(await readFile(path, 'utf8'), original);
  assert.is((await stat(path)).mtimeMs, before.mtimeMs);
  assert.equal(await readdir(folder), ['progress.json']);
});

test('an update that changes nothing writes nothing', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const store = newStore(path);
  const unchanged = await store.update((current) => ({ progress: current, value: 'same' }));
  assert.is(unchanged.value, 'same');
  assert.not.ok(existsSync(path), 'no file for a change that changes nothing');
  const original = '{"completed_modules": ["01_tensor"], "completed_milestones": ["xor"]}';
  await writeFile(path, original);
  await store.update((current) => ({ progress: completeMilestone(current, 'xor').progress, value: null }));
  await store.update((current) => ({ progress: recordModule(seed, current, '01_tensor', { ifNew: true }).progress, value: null }));
  assert.is(await readFile(path, 'utf8'), original);
});

// ---- the format ----

test("writes are byte-identical to Python's json.dumps(indent=2), with no trailing newline", async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const initial = {
    note: 'café ☕ 🔥 ü \u007f\u0001 tab\t quote" back\\ slash/ \u2028 lone \ud800 end',
    last_completed: '02',
    completed_modules: ['01_tensor'],
    unlocked_milestones: [],
    completed_milestones: [],
    nested: { list: [1, -2, { deep: null }, true, false], empty: [], none: {} },
  };
  // A file the original wrote (its own json.dump), holding a milestone id only a future catalog knows.
  await writeFile(path, pythonDumps({ ...initial, unlocked_milestones: ['café_1957'] }));
  const store = newStore(path);
  await addModule(store, '02_autograd');
  const written = await readFile(path, 'utf8');
  assert.is(written, pythonDumps({ ...initial, completed_modules: ['01_tensor', '02_autograd'], unlocked_milestones: ['café_1957'] }));
  assert.not.ok(written.endsWith('\n'));
  assert.ok(/^[\x00-\x7f]*$/.test(written), 'non-ASCII is escaped as Python does');
  assert.ok(written.includes('"caf\\u00e9 \\u2615 \\ud83d\\udd25'), 'escapes are \\uXXXX, surrogate pairs for emoji');
});

test('a fresh file has the three keys in the original order', async () => {
  const folder = await tempDir();
  const path = join(folder, 'sub', 'progress.json');
  const store = newStore(path);
  await addModule(store, '00_setup');
  const written = await readFile(path, 'utf8');
  const expected = { completed_modules: ['00_setup'], unlocked_milestones: [], completed_milestones: [] };
  assert.is(written, pythonDumps(expected));
  assert.is(written, serializeProgress({ ...EMPTY_PROGRESS, completedModules: ['00_setup'] }));
});

test('missing keys are filled in at the next write, in place', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  await writeFile(path, '{"last_completed": "01", "completed_modules": ["01_tensor"]}');
  const store = newStore(path);
  await addModule(store, '02_autograd');
  const written = await readFile(path, 'utf8');
  const parsed = JSON.parse(written) as Record<string, unknown>;
  assert.equal(Object.keys(parsed), ['last_completed', 'completed_modules', 'unlocked_milestones', 'completed_milestones']);
  assert.equal(parsed, { last_completed: '01', completed_modules: ['01_tensor', '02_autograd'], unlocked_milestones: [], completed_milestones: [] });
  await writeFile(path, '{}');
  await store.update((current) => ({ progress: completeMilestone(current, 'xor').progress, value: null }));
  assert.equal(JSON.parse(await readFile(path, 'utf8')), { completed_modules: [], unlocked_milestones: [], completed_milestones: ['xor'] });
});

test('unknown keys and unknown milestone ids survive changes', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const initial = {
    completed_modules: ['00_setup', '01_tensor', '42_custom'],
    last_completed: '01',
    unlocked_milestones: ['ghost'],
    custom: { nested: ['kept', 1] },
    completed_milestones: ['phantom'],
    trailing: 'x',
  };
  await writeFile(path, JSON.stringify(initial, null, 2));
  const store = newStore(path);
  const change = await store.update((current) => {
    const { progress, newlyUnlocked } = recordModule(seed, current, '02_autograd');
    return { progress, value: newlyUnlocked.map((milestone) => milestone.id) };
  });
  assert.equal(change.value, ['perceptron']);
  await store.update((current) => ({ progress: completeMilestone(current, 'perceptron').progress, value: null }));
  const parsed = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  assert.equal(Object.keys(parsed), Object.keys(initial), 'key order kept');
  assert.equal(parsed, {
    ...initial,
    completed_modules: ['00_setup', '01_tensor', '42_custom', '02_autograd'],
    unlocked_milestones: ['ghost', 'perceptron'],
    completed_milestones: ['phantom', 'perceptron'],
  });
});

test('an update sees the file as re-read under the lock, not an earlier read', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const store = newStore(path);
  await store.read();
  await writeFile(path, JSON.stringify({ completed_modules: ['05_other_writer'], unlocked_milestones: [], completed_milestones: [] }));
  const change = await addModule(store, '00_setup');
  assert.equal(change.before.completedModules, ['05_other_writer']);
  assert.equal((JSON.parse(await readFile(path, 'utf8')) as { completed_modules: string[] }).completed_modules, ['05_other_writer', '00_setup']);
});

test('keys we do not own survive byte for byte: big and odd numbers, key order, escapes, bytes that are not UTF-8', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  // Hand-written, not in the original's layout: only the keys we own are rewritten, in json.dump(indent=2) form.
  const unknown: Array<[string, Buffer]> = [
    ['"big"', Buffer.from('12345678901234567890')],
    ['"float"', Buffer.from('1.0')],
    ['"negative_zero"', Buffer.from('-0.0')],
    ['"huge"', Buffer.from('1e400')],
    ['"10"', Buffer.from('"ten"')],
    ['"2"', Buffer.from('"two"')],
    ['"nested"', Buffer.from('{"b": 1, "1": [1.50, 2E-0, "]}\\"", {}], "a":{ }}')],
    ['"latin1"', Buffer.concat([Buffer.from('"caf'), Buffer.from([0xe9]), Buffer.from(' cr\\u00e8me"')])],
    ['"caf\\u00e9"', Buffer.from('"\\ud83d\\udd25 🔥 \\u2028"')],
  ];
  const member = ([key, value]: [string, Buffer]) => Buffer.concat([Buffer.from(`${key}:`), value]);
  const original = Buffer.concat([
    Buffer.from('{'),
    ...unknown.slice(0, 5).flatMap((entry) => [member(entry), Buffer.from(', ')]),
    Buffer.from('"completed_modules": ["01_tensor"],\n'),
    ...unknown.slice(5).flatMap((entry, index) => [member(entry), Buffer.from(index === unknown.length - 6 ? '' : ',\t')]),
    Buffer.from('}\n'),
  ]);
  await writeFile(path, original);
  const store = newStore(path);
  await addModule(store, '02_autograd');
  const expected = Buffer.concat([
    Buffer.from('{\n'),
    ...unknown.slice(0, 5).flatMap((entry) => [Buffer.from('  '), member(entry).subarray(0, entry[0].length + 1), Buffer.from(' '), entry[1], Buffer.from(',\n')]),
    Buffer.from('  "completed_modules": [\n    "01_tensor",\n    "02_autograd"\n  ],\n'),
    ...unknown.slice(5).flatMap((entry) => [Buffer.from(`  ${entry[0]}: `), entry[1], Buffer.from(',\n')]),
    Buffer.from('  "unlocked_milestones": [],\n  "completed_milestones": []\n}'),
  ]);
  const written = await readFile(path);
  assert.is(written.toString('latin1'), expected.toString('latin1'), 'the whole file, byte for byte');
  assert.ok(written.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9])), 'the Latin-1 byte is still the byte 0xE9');
  // Stable: another change rewrites only what we own.
  await addModule(store, '03_layers');
  const again = await readFile(path);
  for (const [key, value] of unknown) assert.ok(again.includes(Buffer.concat([Buffer.from(`  ${key}: `), value])), `${key} kept`);
});

// ---- corrupt files ----

test('a corrupt file is reported with both paths, left untouched, and backed up byte for byte', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const bytes = Buffer.concat([Buffer.from('{"completed_modules": ["01_tensor", '), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(' oops')]);
  await writeFile(path, bytes);
  const store = newStore(path);
  const started = Date.now();
  const backup = await assertRejectsCorrupt(store.read(), path);
  assert.ok(Date.now() - started >= 90, 'it looked again for about 100 ms before giving up');
  assert.ok((await readFile(path)).equals(bytes), 'the file itself is left alone');
  assert.ok((await readFile(backup)).equals(bytes), 'the backup holds the same bytes');

  let called = false;
  const again = await assertRejectsCorrupt(
    store.update((current) => {
      called = true;
      return { progress: current, value: null };
    }),
    path,
  );
  assert.not.ok(called, 'no change is computed from a corrupt file');
  assert.is(again, backup, 'the same contents are backed up once');
  assert.ok((await readFile(path)).equals(bytes));
  assert.equal((await readdir(folder)).sort(), [backup.slice(folder.length + 1), 'progress.json'].sort(), 'no lock or temporary file left');
});

test('an empty file, a non-object and a wrong list are corrupt too', async () => {
  const folder = await tempDir();
  for (const [index, content] of ['', '[1, 2]', 'null', '{"completed_modules": "01_tensor"}', '{"unlocked_milestones": [1]}'].entries()) {
    const path = join(folder, `progress-${index}.json`);
    await writeFile(path, content);
    const backup = await assertRejectsCorrupt(newStore(path).read(), path);
    assert.is(await readFile(path, 'utf8'), content);
    assert.is(await readFile(backup, 'utf8'), content);
  }
});

test('a half-written file that becomes valid within ~50 ms is read fine', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const valid = JSON.stringify({ completed_modules: ['00_setup', '01_tensor'], unlocked_milestones: [], completed_milestones: [] }, null, 2);
  await writeFile(path, valid.slice(0, 30));
  let fixing: Promise<void> | undefined;
  const timer = setTimeout(() => (fixing = writeFile(path, valid)), 30);
  try {
    const progress = await withTimeout(newStore(path).read(), 2_000, 'the read of a half-written file');
    assert.equal(progress.completedModules, ['00_setup', '01_tensor']);
  } finally {
    clearTimeout(timer);
    await fixing;
  }
  assert.equal(await readdir(folder), ['progress.json'], 'no backup for a file that settled');
});

test('repair starts a fresh file and keeps the backup', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  await writeFile(path, 'not json at all');
  await writeFile(`${path}.pending-panels.json`, JSON.stringify([{ milestone: 'perceptron', modules: ['01_tensor'], at: Date.now() }]));
  const store = newStore(path);
  const reported = await assertRejectsCorrupt(store.read(), path);
  const { backup } = await store.repair();
  assert.is(backup, reported, 'the backup already made is the one kept');
  assert.not.ok(existsSync(`${path}.pending-panels.json`), 'a fresh start owes tito no panels');
  assert.is(await readFile(backup ?? '', 'utf8'), 'not json at all');
  assert.is(await readFile(path, 'utf8'), pythonDumps({ completed_modules: [], unlocked_milestones: [], completed_milestones: [] }));
  const progress = await store.read();
  assert.equal(progress.completedModules, []);
  await addModule(store, '00_setup');
  assert.equal((JSON.parse(await readFile(path, 'utf8')) as { completed_modules: string[] }).completed_modules, ['00_setup']);
});

test('repair of a valid file backs it up as well; of a missing file, there is nothing to keep', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const store = newStore(path);
  assert.equal(await store.repair(), { backup: null });
  assert.equal(JSON.parse(await readFile(path, 'utf8')), { completed_modules: [], unlocked_milestones: [], completed_milestones: [] });
  await addModule(store, '00_setup');
  const content = await readFile(path, 'utf8');
  const { backup } = await store.repair();
  assert.ok(backup?.startsWith(`${path}.backup-`), `a valid file is kept as ${backup}`);
  assert.is(await readFile(backup ?? '', 'utf8'), content);
  assert.equal((await store.read()).completedModules, []);
});

// ---- across processes ----

test('writers in separate processes lose nothing: 4 processes x 25 updates', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const prefixes = ['a', 'b', 'c', 'd'];
  const writers = prefixes.map((prefix) => spawnFixture(WRITER, [path, prefix, '25']));
  const results = await withTimeout(Promise.all(writers.map(exited)), 60_000, 'four writer processes');
  results.forEach((result, index) => {
    assert.equal(result, { code: 0, signal: null }, `writer ${prefixes[index]}: ${writers[index]?.output.stderr}`);
    assert.is(writers[index]?.output.stdout, 'done\n');
  });
  const parsed = JSON.parse(await readFile(path, 'utf8')) as { completed_modules: string[] };
  const expected = prefixes.flatMap((prefix) => Array.from({ length: 25 }, (_, i) => `${String(i).padStart(2, '0')}_w${prefix}_${i}`));
  assert.is(parsed.completed_modules.length, 100, 'every update is there, none twice');
  assert.equal([...parsed.completed_modules].sort(), [...expected].sort());
  for (const prefix of prefixes) {
    const own = parsed.completed_modules.filter((module) => module.includes(`_w${prefix}_`));
    assert.equal(
      own,
      expected.filter((module) => module.includes(`_w${prefix}_`)),
      `writer ${prefix}'s updates keep their order`,
    );
  }
  assert.equal(await readdir(folder), ['progress.json'], 'no lock, guard or temporary file left behind');
});

test('a lock left by a killed process is taken over at once; a live holder is waited for', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const lockPath = `${path}.lock`;
  await mkdir(folder, { recursive: true });
  const holder = spawnFixture(LOCK_HOLDER, [lockPath]);
  const [, pid] = await withTimeout(stdoutLine(holder, /locked (\d+)\n/), 20_000, 'the fixture to take the lock');
  assert.is(Number(pid), holder.pid);
  assert.match(await readFile(lockPath, 'utf8'), new RegExp(`^${holder.pid} `));

  const store = newStore(path);
  let settled = false;
  const waiting = addModule(store, '00_setup').finally(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.not.ok(settled, 'an update waits while the holder is alive');
  assert.not.ok(existsSync(path));

  holder.kill('SIGKILL');
  const ended = await withTimeout(exited(holder), 5_000, 'the killed holder to exit');
  assert.is(ended.signal, 'SIGKILL');
  // The waiter may take the dead holder's lock over at once, even before this line runs: nothing is asserted about
  // the lock file between the kill and the update (asserting it is still there failed under load).
  const diedAt = performance.now();
  await withTimeout(waiting, 5_000, 'the waiting update after the holder died');
  const waitedMs = performance.now() - diedAt;
  assert.ok(waitedMs < scaled(2_000), `the waiting update went through ${waitedMs.toFixed(0)} ms after the holder died (correctness bound)`);

  // A lock whose holder is already dead when we arrive: measured from the first try.
  await writeFile(lockPath, `${holder.pid} ${hostname()}\n`);
  const started = performance.now();
  await withTimeout(addModule(store, '01_tensor'), 5_000, 'an update over a dead lock');
  const elapsedMs = performance.now() - started;
  assert.ok(elapsedMs < scaled(2_000), `taken over in ${elapsedMs.toFixed(0)} ms (correctness bound, not a speed claim)`);
  assert.equal((JSON.parse(await readFile(path, 'utf8')) as { completed_modules: string[] }).completed_modules, ['00_setup', '01_tensor']);
  assert.equal(await readdir(folder), ['progress.json'], 'the dead lock is gone and ours is released');
});

test('no temporary files are left after many writes, sequential and concurrent', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const store = newStore(path);
  const other = newStore(path);
  for (let i = 0; i < 40; i++) await addModule(store, `${String(i).padStart(2, '0')}_seq_${i}`);
  await withTimeout(
    Promise.all(Array.from({ length: 40 }, (_, i) => addModule(i % 2 ? store : other, `${String(i).padStart(2, '0')}_par_${i}`))),
    30_000,
    'concurrent in-process updates',
  );
  const parsed = JSON.parse(await readFile(path, 'utf8')) as { completed_modules: string[] };
  assert.is(parsed.completed_modules.length, 80);
  assert.is(new Set(parsed.completed_modules).size, 80);
  assert.equal(await readdir(folder), ['progress.json']);
});

// ---- what the file is on disk: its mode, a symbolic link, a read-only file (A3) ----

test("an update keeps the file's mode (0600 stays 0600, 0664 stays 0664 whatever the umask)", async () => {
  const folder = await tempDir();
  for (const mode of [0o600, 0o664, 0o640]) {
    const path = join(folder, `progress-${mode.toString(8)}.json`);
    await writeFile(path, '{}');
    await chmod(path, mode);
    await addModule(newStore(path), '00_setup');
    assert.is((await stat(path)).mode & 0o7777, mode, `mode ${mode.toString(8)}`);
    assert.equal(JSON.parse(await readFile(path, 'utf8')).completed_modules, ['00_setup']);
  }
});

test("a symlinked progress file is written through to its target, atomically in the target's folder; the link stays", async () => {
  const folder = await tempDir();
  await mkdir(join(folder, 'home'));
  await mkdir(join(folder, 'dotfiles'));
  const target = join(folder, 'dotfiles', 'progress.json');
  const path = join(folder, 'home', 'progress.json');
  await writeFile(target, '{"completed_modules": ["00_setup"]}');
  await symlink('../dotfiles/progress.json', path);
  const store = newStore(path);
  await addModule(store, '01_tensor');
  assert.ok((await lstat(path)).isSymbolicLink(), 'the link is still a link');
  assert.is(await readlink(path), '../dotfiles/progress.json');
  assert.equal(JSON.parse(await readFile(target, 'utf8')).completed_modules, ['00_setup', '01_tensor']);
  assert.equal((await store.read()).completedModules, ['00_setup', '01_tensor']);
  assert.equal(await readdir(join(folder, 'dotfiles')), ['progress.json'], 'no temporary file left in the target folder');
  assert.equal(await readdir(join(folder, 'home')), ['progress.json'], 'no lock or temporary file left beside the link');
  // A link whose target does not exist yet (a fresh dotfiles checkout): the target is created, the link kept.
  await rm(target);
  await addModule(store, '02_autograd');
  assert.ok((await lstat(path)).isSymbolicLink());
  assert.equal(JSON.parse(await readFile(target, 'utf8')).completed_modules, ['02_autograd']);
});

test('a read-only file (chmod 444) is refused with one sentence and left byte for byte, pending panels included', async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  const original = pythonDumps({ completed_modules: ['00_setup', '01_tensor'], unlocked_milestones: [], completed_milestones: [] });
  await writeFile(path, original);
  await chmod(path, 0o444);
  const store = newStore(path);
  for (const attempt of [
    () =>
      store.update((current, pending) => ({
        ...recordModuleEdit(current, '02_autograd'),
        pending: [...pending, { milestone: 'perceptron', modules: ['02_autograd'], at: Date.now() }],
      })),
    () => store.repair(),
  ]) {
    try {
      await attempt();
      assert.unreachable('a read-only file must not be replaced');
    } catch (error) {
      assert.instance(error, SettingError);
      assert.is(
        (error as Error).message,
        `The progress file ${path} is read-only, so it was left unchanged; make it writable (chmod u+w ${path}) or set --progress-file or TINYTORCH_PROGRESS_FILE to another file.`,
      );
    }
  }
  assert.is(await readFile(path, 'utf8'), original);
  assert.is((await stat(path)).mode & 0o777, 0o444);
  assert.equal(await readdir(folder), ['progress.json'], 'no pending panels, lock, backup or temporary file');
  // Through a link, the sentence names the target to chmod.
  const link = join(folder, 'link.json');
  await symlink(path, link);
  try {
    await addModule(newStore(link), '02_autograd');
    assert.unreachable('a read-only target must not be replaced');
  } catch (error) {
    assert.match((error as Error).message, `The progress file ${link} is read-only (through its link to ${path}), so it was left unchanged; make it writable (chmod u+w ${path})`);
  }
});

// ---- temporary files left by killed writers (A22) ----

test("temporary files of writers that are gone are removed at the next write; a live writer's are kept", async () => {
  const folder = await tempDir();
  const path = join(folder, 'progress.json');
  await writeFile(path, '{}');
  const dead = 2_147_483_646;
  const stale = [
    `progress.json.tmp-${dead}-0123abcd`,
    `progress.json.pending-panels.json.tmp-${dead}-89abcdef`,
    `progress.json.lock.tmp-${dead}-00ff00ff`,
    `progress.json.lock.takeover.tmp-${dead}-1234abcd`,
    `progress.json.lock.${dead}.deadbeef`,
  ];
  const kept = [`progress.json.tmp-${process.pid}-0123abcd`, 'progress.json.tmp-notes', `other.json.tmp-${dead}-0123abcd`, 'progress.json.corrupt-20260101T000000000Z'];
  for (const name of [...stale, ...kept]) await writeFile(join(folder, name), 'x');
  const store = newStore(path);
  await store.read();
  assert.equal((await readdir(folder)).length, stale.length + kept.length + 1, 'a read removes nothing');
  await addModule(store, '00_setup');
  assert.equal((await readdir(folder)).sort(), [...kept, 'progress.json'].sort());
});

test.run();
