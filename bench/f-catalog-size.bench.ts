// (f) milestones/progress with synthetic catalogs of 10, 100 and 1,000 milestones: the cost must grow no worse than linearly.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, median, RpcProcess, sidecarEnv, tempDir, type Bench } from './lib.js';

const SIZES = [10, 100, 1000];

function catalog(size: number): unknown {
  const modules = Array.from({ length: 20 }, (_, index) => ({ id: `${String(index).padStart(2, '0')}_m${index}` }));
  const milestones = Array.from({ length: size }, (_, index) => ({
    id: `m${index}`,
    name: `Milestone ${index}`,
    description: 'synthetic',
    unlockMessage: 'synthetic',
    requires: modules.slice(0, 1 + (index % modules.length)).map((module) => module.id),
    verify: { pytest: `tests/test_m.py::test_${index}` },
  }));
  return { name: `synthetic-${size}`, modules, milestones };
}

export const bench: Bench = {
  title: '(f) milestones/progress by catalog size',
  async run(context) {
    const home = tempDir('catalogs');
    mkdirSync(join(home, '.tinytorch'));
    writeFileSync(
      join(home, '.tinytorch', 'progress.json'),
      JSON.stringify({ completed_modules: ['00_m0', '01_m1', '02_m2'], unlocked_milestones: [], completed_milestones: [] }, null, 2),
    );
    const requests = context.quick ? 20 : 200;
    const perMilestone: number[] = [];
    try {
      for (const size of SIZES) {
        const file = join(home, `catalog-${size}.json`);
        writeFileSync(file, JSON.stringify(catalog(size)));
        const peer = new RpcProcess(process.execPath, [BIN, '--stdio', '--catalog', file], sidecarEnv(home));
        try {
          for (let index = 0; index < 20; index++) await peer.request('milestones/progress', {}); // warm-up
          const times: number[] = [];
          for (let index = 0; index < requests; index++) {
            const sent = performance.now();
            const answer = await peer.request('milestones/progress', {});
            times.push(performance.now() - sent);
            if (answer.error || answer.result.milestones.length !== size) throw new Error(answer.error?.message ?? 'wrong size');
          }
          const value = median(times);
          perMilestone.push(value / size);
          context.figure({ id: `f.${size}`, label: `milestones/progress, ${size} milestones`, value, unit: 'ms', runs: requests });
        } finally {
          await peer.close();
        }
      }
      // Linear or better: the time per milestone at 1,000 is no more than at 100 (some slack for noise).
      const growth = perMilestone[2]! / perMilestone[1]!;
      context.figure({ id: 'f.linearity', label: 'time per milestone, 1,000 vs 100', value: growth, unit: 'x', target: 'no worse than linear (<= 1.5x)', met: growth <= 1.5 });
      // Not guarded: at 1,000 milestones the answer is 600 KB, and its trip through a 64 KiB pipe dominates on a loaded machine.
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
};
