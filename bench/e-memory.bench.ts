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
      // RSS after N requests, for us and for the minimal server under the same load: V8 grows its heap in steps
      // long after the live data stops growing (both servers' heap after a collection stays flat), so a bare server's
      // own growth is the baseline that says what is ours. A full run goes on to 100k requests, where both plateau.
      const half = context.quick ? 2000 : 10_000;
      const marks = context.quick ? [half, 2 * half] : [half, 2 * half, 100_000];
      const growthOf = async (args: readonly string[]): Promise<number[]> => {
        const peer = new RpcProcess(process.execPath, args, env);
        try {
          const rss: number[] = [];
          let sent = 0;
          for (const mark of marks) {
            await load(peer, mark - sent);
            sent = mark;
            await sleep(200);
            rss.push(await peer.rssMiB());
          }
          return rss;
        } finally {
          await peer.close();
        }
      };
      const [after10k, after20k, plateau] = await growthOf([BIN, '--stdio']);
      const [minimal10k, minimal20k, minimalPlateau] = await growthOf([minimal]);
      const growth = after20k! / after10k!;
      const minimalGrowth = minimal20k! / minimal10k!;
      context.figure({
        id: 'e.10k',
        label: `RSS after ${half} requests`,
        value: after10k!,
        unit: 'MiB',
        baseline: minimal10k!,
        baselineLabel: 'minimal server',
        ratio: after10k! / minimal10k!,
      });
      context.figure({
        id: 'e.20k',
        label: `RSS after ${2 * half} requests`,
        value: after20k!,
        unit: 'MiB',
        baseline: after10k!,
        baselineLabel: `after ${half}`,
        ratio: growth,
        target: 'within 5%',
        met: growth <= 1.05,
        // Judged against the bare server's own growth in the same run: V8's heap sizing is not a regression of ours.
        gross: growth > 1.05 * minimalGrowth * 1.15,
        note: `the minimal server under the same load: ${minimal10k!.toFixed(1)} -> ${minimal20k!.toFixed(1)} MiB, ${minimalGrowth.toFixed(2)}x`,
      });
      context.figure({
        id: 'e.minimal-growth',
        label: `minimal server, RSS after ${2 * half} requests`,
        value: minimal20k!,
        unit: 'MiB',
        baseline: minimal10k!,
        baselineLabel: `after ${half}`,
        ratio: minimalGrowth,
      });
      if (plateau !== undefined && minimalPlateau !== undefined)
        context.figure({
          id: 'e.100k',
          label: 'RSS after 100000 requests',
          value: plateau,
          unit: 'MiB',
          baseline: minimalPlateau,
          baselineLabel: 'minimal server',
          ratio: plateau / minimalPlateau,
        });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
};
