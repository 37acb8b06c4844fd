// Evidence of work on real git repositories: content git committed never counts; a student's change does.
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { blobId, createGitEvidence } from '../../src/adapters/git-evidence.js';
import { parseIndex } from '../../src/adapters/git-index.js';
import { cloneAtFirst, git, makeTinyTorchRepo, tensorExport, type TinyTorchRepo } from '../builders/tinytorch-repo.js';

let parent = '';
let repo: TinyTorchRepo;

test.before(async () => {
  parent = await mkdtemp(join(tmpdir(), 'git-evidence-'));
  repo = await makeTinyTorchRepo(parent);
});

test.after(async () => {
  await rm(parent, { recursive: true, force: true });
});

test("a blob id is git's own", async () => {
  const clone = await cloneAtFirst(repo, parent);
  const content = await readFile(join(clone, 'tinytorch/core/tensor.py'));
  assert.is(blobId(content), git(clone, 'hash-object', 'tinytorch/core/tensor.py').trim());
});

test('a fresh clone, a checkout and a stash count for nothing; an edit and an untracked export count', async () => {
  const clone = await cloneAtFirst(repo, parent);
  const tensor = join(clone, 'tinytorch/core/tensor.py');
  const evidence = createGitEvidence();
  assert.is(await evidence.isWork(tensor), false, 'as cloned');
  git(clone, 'checkout', '-q', repo.commits[1]);
  assert.is(await evidence.isWork(tensor), false, 'rewritten by a checkout');
  await writeFile(tensor, tensorExport('class Tensor:\n    """my own"""'));
  assert.is(await evidence.isWork(tensor), true, 'a real export');
  git(clone, 'stash', '-q');
  assert.is(await evidence.isWork(tensor), false, 'put back by git stash');
  git(clone, 'stash', 'pop', '-q');
  assert.is(await evidence.isWork(tensor), true, 'stash pop brings the student work back');
  git(clone, 'reset', '-q', '--hard');
  assert.is(await evidence.isWork(tensor), false, 'reset --hard');
  const activations = join(clone, 'tinytorch/core/activations.py');
  await writeFile(activations, '# %% ../../modules/02_activations/02_activations.ipynb 1\nclass ReLU: pass\n');
  assert.is(await evidence.isWork(activations), true, 'untracked');
});

test('a rewrite with the committed bytes (touched, same content) is not work; staged work still is', async () => {
  const clone = await cloneAtFirst(repo, parent);
  const tensor = join(clone, 'tinytorch/core/tensor.py');
  const evidence = createGitEvidence();
  const committed = await readFile(tensor);
  await writeFile(tensor, committed);
  await utimes(tensor, new Date(), new Date(Date.now() + 5000));
  assert.is(await evidence.isWork(tensor), false);
  await writeFile(tensor, tensorExport('class Tensor:\n    """staged"""'));
  git(clone, 'add', 'tinytorch/core/tensor.py');
  assert.is(await evidence.isWork(tensor), false, 'staged content matches the index: explained');
  git(clone, 'commit', '-qm', 'student commits');
  assert.is(await evidence.isWork(tensor), false, 'committed');
});

test('index versions 2, 3 and 4 parse to the same entries, and the cache follows changes of the index', async () => {
  const clone = await cloneAtFirst(repo, parent);
  const read = async () => {
    const parsed = parseIndex(await readFile(join(clone, '.git/index')));
    assert.ok(parsed.ok);
    return parsed.ok ? [...parsed.entries].map(([path, entry]) => `${path} ${entry.blob}`).sort() : [];
  };
  const expected = git(clone, 'ls-files', '-s')
    .trim()
    .split('\n')
    .map((line) => {
      const [, blob, , path] = line.split(/\s+/);
      return `${path} ${blob}`;
    })
    .sort();
  for (const version of ['2', '3', '4']) {
    git(clone, 'update-index', '--index-version', version);
    assert.equal(await read(), expected, `version ${version}`);
  }
  const evidence = createGitEvidence();
  const tensor = join(clone, 'tinytorch/core/tensor.py');
  for (let round = 0; round < 50; round++) await evidence.isWork(tensor);
  assert.is(evidence.stats.indexReads, 1, 'read once while the index is unchanged');
  assert.is(evidence.stats.gitProcesses, 0, 'no git process when the file matches the index');
  git(clone, 'checkout', '-q', repo.commits[1]);
  assert.is(await evidence.isWork(tensor), false);
  assert.is(evidence.stats.indexReads, 2, 're-read after git changed it');
});

test('outside git, every export counts (the rule without version control)', async () => {
  const folder = await mkdtemp(join(parent, 'no-git-'));
  const file = join(folder, 'tensor.py');
  await writeFile(file, 'x = 1\n');
  assert.is(await createGitEvidence().isWork(file), true);
});

test.run();
