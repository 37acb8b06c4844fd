// (a) spawn → the first answer to milestones/progress, against `node -e 0` and a minimal vscode-jsonrpc server.
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, buildMinimalServer, fmt, interleaved, median, RpcProcess, sidecarEnv, tempDir, timeProcess, type Bench } from './lib.js';

/** Spawn, send one request at once, and time until its answer is read; the process is then closed (not timed). */
async function firstAnswer(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const peer = new RpcProcess(process.execPath, args, env);
  const answer = await peer.request('milestones/progress', {});
  const elapsed = performance.now() - started;
  if (answer.error) throw new Error(`milestones/progress failed: ${answer.error.message}`);
  await peer.close();
  return elapsed;
}

export const bench: Bench = {
  title: '(a) spawn → first answer',
  async run(context) {
    const home = tempDir('startup');
    mkdirSync(join(home, '.tinytorch'));
    writeFileSync(join(home, '.tinytorch', 'progress.json'), JSON.stringify({ completed_modules: ['00_setup'], unlocked_milestones: [], completed_milestones: [] }, null, 2));
    const env = sidecarEnv(home);
    const minimal = await buildMinimalServer();
    try {
      const [bare, ours, server] = await interleaved(context.runs, [
        () => timeProcess(process.execPath, ['-e', '0'], { env }),
        () => firstAnswer([BIN, '--stdio'], env),
        () => firstAnswer([minimal], env),
      ]);
      const base = median(bare!);
      const value = median(ours!);
      const ratio = value / base;
      context.figure({
        id: 'a.first-answer',
        label: 'spawn → first answer (milestones/progress)',
        value,
        unit: 'ms',
        baseline: base,
        baselineLabel: 'node -e 0',
        ratio,
        target: '<= 1.4x',
        met: ratio <= 1.4,
        gross: ratio > 4.2,
        runs: ours!.length,
      });
      const serverValue = median(server!);
      context.figure({
        id: 'a.minimal-server',
        label: 'minimal vscode-jsonrpc server, spawn → first answer',
        value: serverValue,
        unit: 'ms',
        baseline: base,
        baselineLabel: 'node -e 0',
        ratio: serverValue / base,
        runs: server!.length,
      });
      context.log(`node -e 0 ${fmt(base)} ms, sidecar ${fmt(value)} ms, minimal server ${fmt(serverValue)} ms (medians of ${context.runs})`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
};
