// (c) Warm rates: sequential and pipelined milestones/progress against a minimal vscode-jsonrpc server, and
// checkExport writes per second (lock, atomic write, fsync).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, buildMinimalServer, fmt, median, percentile, RpcProcess, sidecarEnv, tempDir, type Bench } from './lib.js';

const BLOCK = 500;
const PIPELINED = 2000;

async function sequential(peer: RpcProcess, count: number, latencies: number[]): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const sent = performance.now();
    const answer = await peer.request('milestones/progress', {});
    latencies.push(performance.now() - sent);
    if (answer.error) throw new Error(answer.error.message);
  }
  return count / ((performance.now() - started) / 1000);
}

async function pipelined(peer: RpcProcess, count: number): Promise<number> {
  const started = performance.now();
  const answers = Array.from({ length: count }, () => peer.request('milestones/progress', {}));
  await Promise.all(answers);
  return count / ((performance.now() - started) / 1000);
}

export const bench: Bench = {
  title: '(c) warm rates',
  async run(context) {
    const home = tempDir('warm');
    mkdirSync(join(home, '.tinytorch'));
    writeFileSync(
      join(home, '.tinytorch', 'progress.json'),
      JSON.stringify({ completed_modules: ['00_setup', '01_tensor'], unlocked_milestones: [], completed_milestones: [] }, null, 2),
    );
    const env = sidecarEnv(home);
    const ours = new RpcProcess(process.execPath, [BIN, '--stdio'], env);
    const minimal = new RpcProcess(process.execPath, [await buildMinimalServer()], env);
    const block = context.quick ? 200 : BLOCK;
    try {
      // Warm-up: JIT and caches.
      for (const peer of [ours, minimal]) await sequential(peer, block, []);
      const rates: [number[], number[]] = [[], []];
      const latencies: [number[], number[]] = [[], []];
      for (let round = 0; round < context.runs; round++) {
        rates[0].push(await sequential(ours, block, latencies[0]));
        rates[1].push(await sequential(minimal, block, latencies[1]));
      }
      const pipe: [number[], number[]] = [[], []];
      for (let round = 0; round < Math.min(context.runs, 10); round++) {
        pipe[0].push(await pipelined(ours, context.quick ? 500 : PIPELINED));
        pipe[1].push(await pipelined(minimal, context.quick ? 500 : PIPELINED));
      }
      const rate = median(rates[0]);
      const base = median(rates[1]);
      const ratio = rate / base;
      context.figure({
        id: 'c.sequential',
        label: 'warm sequential milestones/progress',
        value: rate,
        unit: 'req/s',
        baseline: base,
        baselineLabel: 'minimal server',
        ratio,
        target: '>= 0.8x',
        met: ratio >= 0.8,
        gross: ratio < 0.8 / 3,
        runs: rates[0].length,
      });
      const p50 = percentile(latencies[0], 0.5);
      const p99 = percentile(latencies[0], 0.99);
      context.figure({
        id: 'c.p50',
        label: 'warm sequential latency p50',
        value: p50,
        unit: 'ms',
        baseline: percentile(latencies[1], 0.5),
        baselineLabel: 'minimal server',
        ratio: p50 / percentile(latencies[1], 0.5),
      });
      context.figure({
        id: 'c.p99',
        label: 'warm sequential latency p99',
        value: p99,
        unit: 'ms',
        baseline: percentile(latencies[1], 0.99),
        baselineLabel: 'minimal server',
        ratio: p99 / percentile(latencies[1], 0.99),
        target: '< 1 ms',
        met: p99 < 1,
        gross: p99 > 3 && p99 > 3 * percentile(latencies[1], 0.99),
      }); // a loaded machine slows the baseline too
      const piped = median(pipe[0]);
      context.figure({
        id: 'c.pipelined',
        label: 'warm pipelined milestones/progress',
        value: piped,
        unit: 'req/s',
        baseline: median(pipe[1]),
        baselineLabel: 'minimal server',
        ratio: piped / median(pipe[1]),
        runs: pipe[0].length,
      });

      // Writes: each checkExport records a new module, so each one locks, writes atomically and fsyncs.
      const writes = context.quick ? 30 : 200;
      const started = performance.now();
      for (let index = 0; index < writes; index++) {
        const answer = await ours.request('milestones/checkExport', { module: `50_w${index}` });
        if (answer.error) throw new Error(answer.error.message);
      }
      const perSecond = writes / ((performance.now() - started) / 1000);
      context.figure({ id: 'c.writes', label: 'checkExport writes (lock + atomic write + fsync)', value: perSecond, unit: 'req/s', runs: writes });
      context.log(`blocks of ${block} sequential requests, ${rates[0].length} rounds each side, interleaved; p99 minimal server ${fmt(percentile(latencies[1], 0.99), 2)} ms`);
    } finally {
      await ours.close();
      await minimal.close();
      rmSync(home, { recursive: true, force: true });
    }
  },
};
