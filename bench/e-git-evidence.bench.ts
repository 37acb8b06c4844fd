// (e) Evidence of work in a git work tree: one export event checked against a cached read of .git/index, against
// the naive way (a git process per event), on a repository the size of TinyTorch's (about 700 tracked files).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGitEvidence } from '../src/adapters/git-evidence.js';
import { median, tempDir, type Bench } from './lib.js';

const FILES = 700;
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

export const bench: Bench = {
  title: '(e) git evidence of an export: cached index read vs a git process per event',
  async run(context) {
    const repo = tempDir('git');
    try {
      git(repo, 'init', '-q');
      mkdirSync(join(repo, 'tinytorch', 'core'), { recursive: true });
      for (let index = 0; index < FILES; index++) writeFileSync(join(repo, `file-${index}.txt`), `content ${index}\n`);
      const tensor = join(repo, 'tinytorch', 'core', 'tensor.py');
      writeFileSync(tensor, '# %% ../../modules/01_tensor/01_tensor.ipynb 1\nclass Tensor: pass\n');
      git(repo, 'add', '-A');
      git(repo, 'commit', '-qm', 'bench');
      const evidence = createGitEvidence();
      await evidence.isWork(tensor); // the first read of the index
      const cached: number[] = [];
      const naive: number[] = [];
      const rounds = Math.max(context.runs, 20);
      for (let round = 0; round < rounds; round++) {
        // An export rewrites the file: a real change each round (so the hash is computed every time).
        writeFileSync(tensor, `# %% ../../modules/01_tensor/01_tensor.ipynb 1\nclass Tensor: pass  # ${round}\n`);
        let started = performance.now();
        const counted = await evidence.isWork(tensor);
        cached.push(performance.now() - started);
        if (!counted) throw new Error('a changed export must count');
        started = performance.now();
        git(repo, 'ls-files', '-s', '--', 'tinytorch/core/tensor.py');
        git(repo, 'hash-object', 'tinytorch/core/tensor.py');
        naive.push(performance.now() - started);
      }
      const value = median(cached);
      const baseline = median(naive);
      context.figure({
        id: 'e.check',
        label: `an export event checked against git (${FILES} tracked files, index cached)`,
        value,
        unit: 'ms',
        baseline,
        baselineLabel: 'git ls-files + git hash-object per event',
        ratio: value / baseline,
        runs: rounds,
        note: `index reads ${evidence.stats.indexReads}, git processes ${evidence.stats.gitProcesses} (ls-tree once for HEAD) for ${rounds + 1} events`,
      });
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  },
};
