// A git checkout laid out like TinyTorch: only a student's own work unlocks, tito's records count both ways.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CompletedNotification, UnlockedNotification } from '../../protocol/index.js';
import { cloneAtFirst, git, makeTinyTorchRepo, tensorExport, type TinyTorchRepo } from '../builders/tinytorch-repo.js';
import { BIN, Sidecar, type RpcMessage } from '../helpers/rpc-client.js';

const CLEAN_ENV = { TINYTORCH_WORKSPACE: '', TINYTORCH_EXPORTS: '', TINYTORCH_CATALOG: '', TINYTORCH_PROGRESS_FILE: '', TINYTORCH_MILESTONES_DAEMON: '0' };

let parent = '';
let repo: TinyTorchRepo;
const sidecars: Sidecar[] = [];

test.before(async () => {
  parent = mkdtempSync(join(tmpdir(), 'tinytorch-checkout-'));
  repo = await makeTinyTorchRepo(parent);
});

test.after.each(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.dispose()));
});

test.after(() => {
  rmSync(parent, { recursive: true, force: true });
});

function oneShot(cwd: string, progressFile: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args, '--progress-file', progressFile, '--json'], { cwd, encoding: 'utf8', env: { ...process.env, ...CLEAN_ENV } });
  assert.is(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

const logged = (pattern: RegExp) => (message: RpcMessage) => message.method === 'window/logMessage' && pattern.test(message.params.message);
const unlocks = (sidecar: Sidecar) => sidecar.notifications(UnlockedNotification.method).map((message) => UnlockedNotification.params.parse(message.params));

async function watching(clone: string, progressFile: string): Promise<Sidecar> {
  const sidecar = new Sidecar({ args: ['--workspace', clone, '--progress-file', progressFile], env: CLEAN_ENV });
  sidecars.push(sidecar);
  await sidecar.initialize();
  await sidecar.waitFor(logged(/^Watching /), 5000, 'the watchers to be ready');
  return sidecar;
}

async function progressOf(sidecar: Sidecar) {
  return (await sidecar.request('milestones/progress')).result as { completedModules: string[]; milestones: Array<{ id: string; status: string }> };
}

test('a fresh clone records nothing: rescan, from inside the checkout, without --workspace', async () => {
  const clone = await cloneAtFirst(repo, parent);
  const progressFile = join(clone, '..', `${clone.split('/').pop()}-progress.json`);
  const answer = oneShot(clone, progressFile, 'rescan');
  assert.equal(answer.recorded, []);
  assert.equal(answer.newlyUnlocked, []);
  // The one-shot CLI took the checkout as its workspace, so it speaks the tinytorch catalog.
  assert.equal(oneShot(clone, progressFile, 'progress').catalog, 'tinytorch');
});

test('watching: a checkout unlocks nothing, tito adds then removes an entry, a real edit unlocks, tito completes a milestone', async () => {
  const clone = await cloneAtFirst(repo, parent);
  const progressFile = join(clone, '..', `${clone.split('/').pop()}-progress.json`);
  const sidecar = await watching(clone, progressFile);

  git(clone, 'checkout', '-q', repo.commits[1]);
  await sidecar.waitFor(logged(/tensor\.py \(01_tensor\) now holds content git has committed/), 10_000, 'the checkout to be seen and explained');
  assert.equal(unlocks(sidecar), []);
  assert.equal((await progressOf(sidecar)).completedModules, []);

  // tito's module complete lists "01"; its export file exists, so it counts.
  writeFileSync(join(clone, 'progress.json'), JSON.stringify({ completed_modules: ['01'], last_completed: '01' }, null, 2));
  await sidecar.waitFor((message) => message.method === UnlockedNotification.method && message.params.id === '01', 10_000, "tito's entry to unlock 01");
  // tito's module reset removes it again: the module is un-completed and 01 is locked again.
  writeFileSync(join(clone, 'progress.json'), JSON.stringify({ completed_modules: [], last_completed: null }, null, 2));
  const relocked = async () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const progress = await progressOf(sidecar);
      if (progress.milestones[0]?.status === 'locked' && progress.completedModules.length === 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  };
  assert.ok(await relocked(), "tito's reset re-locks 01");
  const written = JSON.parse(readFileSync(progressFile, 'utf8'));
  assert.equal(written.completed_modules, []);
  assert.equal(written.unlocked_milestones, []);

  // tito lists a module whose export failed (no file): it does not count.
  writeFileSync(join(clone, 'progress.json'), JSON.stringify({ completed_modules: ['02'] }, null, 2));
  await sidecar.waitFor(logged(/tito lists 02_activations as completed but tinytorch\/core\/activations\.py does not exist/), 10_000, 'the missing export to be noticed');

  // A student's own export: unlocks 01 again, caused by the export.
  writeFileSync(join(clone, 'tinytorch/core/tensor.py'), tensorExport('class Tensor:\n    """my own Tensor"""'));
  const unlocked = await sidecar.waitFor(
    (message) => message.method === UnlockedNotification.method && message.params.id === '01' && message.params.cause === 'export',
    10_000,
    'the export to unlock 01',
  );
  assert.is(unlocked.params.cause, 'export');

  // tito's own `tito milestones run 01` records it in .tito/milestones.json: completed here too.
  mkdirSync(join(clone, '.tito'), { recursive: true });
  writeFileSync(join(clone, '.tito', 'milestones.json'), JSON.stringify({ completed_milestones: ['01'], completion_dates: {}, unlocked_milestones: [] }, null, 2));
  await sidecar.waitFor((message) => message.method === CompletedNotification.method && message.params.id === '01', 10_000, "tito's completion of 01");
  assert.equal(JSON.parse(readFileSync(progressFile, 'utf8')).completed_milestones, ['01']);
  // tito's files were only read.
  assert.equal(JSON.parse(readFileSync(join(clone, '.tito', 'milestones.json'), 'utf8')).unlocked_milestones, []);
});

test('rescan takes tito milestones as completed and a real edit as work', async () => {
  const clone = await cloneAtFirst(repo, parent);
  const progressFile = join(clone, '..', `${clone.split('/').pop()}-progress.json`);
  mkdirSync(join(clone, '.tito'), { recursive: true });
  writeFileSync(join(clone, '.tito', 'milestones.json'), JSON.stringify({ completed_milestones: ['01', '99'] }));
  writeFileSync(join(clone, 'tinytorch/core/tensor.py'), tensorExport('class Tensor:\n    """edited"""'));
  const answer = oneShot(clone, progressFile, 'rescan');
  assert.equal(answer.recorded, ['01_tensor']);
  assert.equal(answer.newlyUnlocked, ['01']);
  const written = JSON.parse(readFileSync(progressFile, 'utf8'));
  assert.equal(written.completed_milestones, ['01']);
});

test('a module outside the catalog is recorded, and the answer names the nearest one', async () => {
  const clone = await cloneAtFirst(repo, parent);
  const progressFile = join(clone, '..', `${clone.split('/').pop()}-progress.json`);
  const answer = oneShot(clone, progressFile, 'check-export', '08_spatial');
  assert.match(answer.text, '08_spatial is not a module of the tinytorch catalog (did you mean 09_spatial?)');
  assert.equal(JSON.parse(readFileSync(progressFile, 'utf8')).completed_modules, ['08_spatial']);
});

test.run();
