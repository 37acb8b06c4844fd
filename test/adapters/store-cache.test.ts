// The store's stat-checked cache: an unchanged progress file is not read again, and no change by anyone is missed.
import { mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFileStore } from '../../src/adapters/store.js';
import { serializeProgress } from '../../src/core/progress.js';
import type { Logger } from '../../src/ports.js';

const silent: Logger = { info() {}, warn() {}, error() {} };
const folders: string[] = [];

async function setUp(modules: string[]) {
  const folder = await mkdtemp(join(tmpdir(), 'store-cache-test-'));
  folders.push(folder);
  const path = join(folder, 'progress.json');
  await writeFile(path, progressText(modules));
  let reads = 0;
  const store = createFileStore({ path, logger: silent, onFileRead: () => reads++ });
  return { path, store, reads: () => reads };
}

const progressText = (modules: string[]) => serializeProgress({ completedModules: modules, unlockedMilestones: [], completedMilestones: [], members: [] });

/** Makes the file look settled (changed long ago), as it is on the warm path. */
const age = (path: string) => utimes(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));

test.after(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

test('an unchanged file is read once, then answered from the cache', async () => {
  const { path, store, reads } = await setUp(['00_setup']);
  await age(path);
  await sleep(150); // its ctime (set by utimes) settles too
  const first = await store.read();
  const again = await store.read();
  await store.read();
  assert.equal(reads(), 1);
  assert.is(again, first);
  assert.equal(first.completedModules, ['00_setup']);
});

test('a write in place by another process (same size, same inode) is seen at once', async () => {
  const { path, store, reads } = await setUp(['00_setup']);
  await age(path);
  await sleep(150);
  assert.equal((await store.read()).completedModules, ['00_setup']);
  await writeFile(path, progressText(['01_setup'])); // same length, same file
  assert.equal((await store.read()).completedModules, ['01_setup']);
  // Even with its mtime put back, the ctime tells.
  await writeFile(path, progressText(['02_setup']));
  await age(path);
  assert.equal((await store.read()).completedModules, ['02_setup']);
  assert.equal(reads(), 3);
});

test('an atomic replace (a new inode) is seen, even with the same size and times', async () => {
  const { path, store } = await setUp(['00_setup']);
  await age(path);
  await sleep(150);
  assert.equal((await store.read()).completedModules, ['00_setup']);
  await writeFile(`${path}.new`, progressText(['01_setup']));
  await age(`${path}.new`);
  await rename(`${path}.new`, path);
  assert.equal((await store.read()).completedModules, ['01_setup']);
});

test('a file changed just now is not trusted from the cache (racy-clean): it is read again', async () => {
  const { store, reads } = await setUp(['00_setup']);
  await store.read();
  await store.read();
  assert.equal(reads(), 2);
});

test('a deleted file is empty progress, not the cached one', async () => {
  const { path, store } = await setUp(['00_setup']);
  await age(path);
  await sleep(150);
  await store.read();
  await rm(path);
  assert.equal((await store.read()).completedModules, []);
});

test('our own writes are seen by the next read', async () => {
  const { path, store } = await setUp(['00_setup']);
  await age(path);
  await sleep(150);
  await store.read();
  await store.update((current) => ({ progress: { ...current, completedModules: [...current.completedModules, '01_tensor'] }, value: null }));
  assert.equal((await store.read()).completedModules, ['00_setup', '01_tensor']);
});

test('a read asked for while a change is queued waits for it: the cache never answers ahead of the queue', async () => {
  const { path, store } = await setUp(['00_setup']);
  await age(path);
  await sleep(150);
  await store.read(); // cached now: the next read could be answered at once
  const change = store.update((current) => ({ progress: { ...current, completedModules: [...current.completedModules, '01_tensor'] }, value: null }));
  const read = store.read();
  await change;
  assert.equal((await read).completedModules, ['00_setup', '01_tensor']);
});

test('a missing file reads as empty progress, again and again, and is seen once it appears', async () => {
  const { path, store } = await setUp(['00_setup']);
  await rm(path);
  assert.equal((await store.read()).completedModules, []);
  assert.equal((await store.read()).completedModules, []);
  await writeFile(path, progressText(['01_tensor']));
  assert.equal((await store.read()).completedModules, ['01_tensor']);
});

test.run();
