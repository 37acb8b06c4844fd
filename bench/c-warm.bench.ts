// (c) Warm rates: sequential and pipelined milestones/progress against a minimal vscode-jsonrpc server answering the
// same bytes, and checkExport writes per second (lock, atomic write, fsync). The latencies are taken by c-client.mjs,
// a lean client in a process of its own: timed from this process, which also parses every answer, its own garbage
// collections landed in the tail of whichever side it was timing (p99 2.4 ms for the sidecar against 0.5 ms measured
// apart, in the same minute).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, buildMinimalServer, fmt, leanClient, RpcProcess, sidecarEnv, tempDir, type Bench, type LeanSide } from './lib.js';

const tailText = (side: LeanSide) =>
  side.tail
    ? `${side.label}: p99.9 ${fmt(side.p999, 2)} ms, max ${fmt(side.max, 1)} ms; of its ${side.tail.atOrAboveP99} requests at or above p99, ${side.tail.overlapServerGc} overlapped a collection in the server (${side.tail.serverGcs} in all), ${side.tail.overlapClientGc} one in the client`
    : '';

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
    try {
      const first = await ours.request('milestones/progress', {});
      if (first.error) throw new Error(first.error.message);
      const answerFile = join(home, 'answer.json');
      writeFileSync(answerFile, JSON.stringify(first.result));
      const minimalEnv = { ...env, TTM_BENCH_PROGRESS_FILE: answerFile };
      const blocks = context.quick ? 10 : Math.max(40, context.runs * 2);
      const [mine, minimal] = await leanClient({
        sides: [
          { label: 'sidecar', command: [process.execPath, BIN, '--stdio'], env },
          { label: 'minimal server', command: [process.execPath, await buildMinimalServer()], env: minimalEnv },
        ],
        warmup: context.quick ? 1000 : 2000,
        blocks,
        block: 500,
        pipelined: context.quick ? 500 : 2000,
        pipelinedRounds: context.quick ? 3 : 10,
        gc: true,
      });
      if (!mine || !minimal || mine.errors || minimal.errors) throw new Error(`error answers: ${mine?.errors} and ${minimal?.errors}`);
      const ratio = mine.rate / minimal.rate;
      context.figure({
        id: 'c.sequential',
        label: 'warm sequential milestones/progress',
        value: mine.rate,
        unit: 'req/s',
        baseline: minimal.rate,
        baselineLabel: 'minimal server',
        ratio,
        target: '>= 0.8x',
        met: ratio >= 0.8,
        gross: ratio < 0.8 / 3,
        runs: blocks,
      });
      context.figure({
        id: 'c.p50',
        label: 'warm sequential latency p50',
        value: mine.p50,
        unit: 'ms',
        baseline: minimal.p50,
        baselineLabel: 'minimal server',
        ratio: mine.p50 / minimal.p50,
        runs: mine.samples,
      });
      context.figure({
        id: 'c.p99',
        label: 'warm sequential latency p99',
        value: mine.p99,
        unit: 'ms',
        baseline: minimal.p99,
        baselineLabel: 'minimal server',
        ratio: mine.p99 / minimal.p99,
        target: '< 1 ms',
        met: mine.p99 < 1,
        // A loaded machine slows the baseline too: gross only when it is also 3x the minimal server's.
        gross: mine.p99 > 3 && mine.p99 > 3 * minimal.p99,
        runs: mine.samples,
      });
      context.figure({
        id: 'c.pipelined',
        label: 'warm pipelined milestones/progress',
        value: mine.pipelined!,
        unit: 'req/s',
        baseline: minimal.pipelined!,
        baselineLabel: 'minimal server',
        ratio: mine.pipelined! / minimal.pipelined!,
      });
      context.log(
        `${blocks} blocks of 500 sequential requests each side, interleaved, timed by a client of their own; both answer the same ${JSON.stringify(first.result).length} characters`,
      );
      context.log(tailText(mine));
      context.log(tailText(minimal));

      // Writes: each checkExport records a new module, so each one locks, writes atomically and fsyncs.
      const writes = context.quick ? 30 : 200;
      const started = performance.now();
      for (let index = 0; index < writes; index++) {
        const answer = await ours.request('milestones/checkExport', { module: `50_w${index}` });
        if (answer.error) throw new Error(answer.error.message);
      }
      const perSecond = writes / ((performance.now() - started) / 1000);
      context.figure({ id: 'c.writes', label: 'checkExport writes (lock + atomic write + fsync)', value: perSecond, unit: 'req/s', runs: writes });
    } finally {
      await ours.close();
      rmSync(home, { recursive: true, force: true });
    }
  },
};
