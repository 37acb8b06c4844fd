// (e) Memory: idle RSS against the minimal server's, and RSS after 10k and 20k requests.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, buildMinimalServer, median, RpcProcess, sidecarEnv, tempDir, type Bench } from './lib.js';

async function idleRss(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const peer = new RpcProcess(process.execPath, args, env);
  await peer.request('milestones/progress', {});
  await sleep(300);
  const rss = await peer.rssMiB();
  await peer.close();
  return rss;
}

async function load(peer: RpcProcess, count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += 100) await Promise.all(Array.from({ length: 100 }, () => peer.request('milestones/progress', {})));
}

export const bench: Bench = {
  title: '(e) memory',
  async run(context) {
    const home = tempDir('memory');
    mkdirSync(join(home, '.tinytorch'));
    writeFileSync(join(home, '.tinytorch', 'progress.json'), JSON.stringify({ completed_modules: ['00_setup'], unlocked_milestones: [], completed_milestones: [] }, null, 2));
    const env = sidecarEnv(home);
    const minimal = await buildMinimalServer();
    try {
      const ours: number[] = [];
      const base: number[] = [];
      const rounds = Math.min(context.runs, 10);
      for (let round = 0; round < rounds; round++) {
        ours.push(await idleRss([BIN, '--stdio'], env));
        base.push(await idleRss([minimal], env));
      }
      const value = median(ours);
      const baseline = median(base);
      const ratio = value / baseline;
      context.figure({
        id: 'e.idle',
        label: 'idle RSS after the first answer',
        value,
        unit: 'MiB',
        baseline,
        baselineLabel: 'minimal server',
        ratio,
        target: '<= 1.1x',
        met: ratio <= 1.1,
        gross: ratio > 3.3,
        runs: rounds,
      });
      const peer = new RpcProcess(process.execPath, [BIN, '--stdio'], env);
      try {
        const half = context.quick ? 2000 : 10_000;
        await load(peer, half);
        await sleep(200);
        const after10k = await peer.rssMiB();
        await load(peer, half);
        await sleep(200);
        const after20k = await peer.rssMiB();
        const growth = after20k / after10k;
        context.figure({ id: 'e.10k', label: `RSS after ${half} requests`, value: after10k, unit: 'MiB' });
        context.figure({
          id: 'e.20k',
          label: `RSS after ${2 * half} requests`,
          value: after20k,
          unit: 'MiB',
          baseline: after10k,
          baselineLabel: `after ${half}`,
          ratio: growth,
          target: 'within 5%',
          met: growth <= 1.05,
          gross: !context.quick && growth > 1.15,
        });
      } finally {
        await peer.close();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
};
