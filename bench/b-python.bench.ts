// (b) A fresh python3 calling check_module_export that unlocks a milestone, against the original tracker (same
// interpreter), with and without a rich console, through the per-user daemon and through the spawn fallback.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, fmt, interleaved, median, ROOT, sidecarEnv, tempDir, timeProcess, type Bench, type BenchContext } from './lib.js';

const CLIENT = join(ROOT, 'clients', 'python');
const BEFORE = { completed_modules: ['00_setup', '01_tensor'], unlocked_milestones: [], completed_milestones: [] };

/** The real interpreter (never the pyenv shim, which adds ~50 ms a start), preferring one that has rich. */
function interpreters(): { python: string; rich: boolean } {
  const candidates = ['/usr/bin/python3'];
  try {
    candidates.push(execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim());
  } catch {}
  for (const python of candidates) if (existsSync(python) && spawnSync(python, ['-c', 'import rich.console'], { stdio: 'ignore' }).status === 0) return { python, rich: true };
  return { python: candidates.find((python) => existsSync(python)) ?? 'python3', rich: false };
}

const call = (folder: string, console: boolean) =>
  [
    'import sys',
    `sys.path.insert(0, ${JSON.stringify(folder)})`,
    ...(console ? ['from rich.console import Console'] : []),
    'import milestone_tracker',
    `result = milestone_tracker.check_module_export('02_autograd'${console ? ', console=Console()' : ''})`,
    "assert result['newly_unlocked'] == ['perceptron'], result",
  ].join('\n');

export const bench: Bench = {
  title: '(b) a fresh python3: check_module_export that unlocks',
  async run(context: BenchContext) {
    const { python, rich } = interpreters();
    const home = tempDir('python');
    const runtime = tempDir('runtime');
    const progress = join(home, '.tinytorch', 'progress.json');
    mkdirSync(join(home, '.tinytorch'));
    const reset = () => writeFileSync(progress, JSON.stringify(BEFORE, null, 2));
    const base = sidecarEnv(home, {
      PYTHONDONTWRITEBYTECODE: '1', // as on these machines: both sides recompile their own modules at every start
      TINYTORCH_MILESTONES_CMD: `${process.execPath} ${BIN}`,
      XDG_RUNTIME_DIR: runtime,
    });
    const daemon = { ...base, TINYTORCH_MILESTONES_DAEMON: '1' };
    const spawned = { ...base, TINYTORCH_MILESTONES_DAEMON: '0' };
    const original = context.tinytorch ? join(context.tinytorch, 'tests', 'milestones') : null;
    const hasOriginal = original !== null && existsSync(join(original, 'milestone_tracker.py'));
    context.log(`python: ${python}${rich ? ' (with rich)' : ' (no rich: the console variants are skipped)'}`);
    if (!hasOriginal) context.log('no TinyTorch checkout (--tinytorch DIR or TINYTORCH_CHECKOUT): the baseline is `python3 -c pass`; the issue measured the original at ~130 ms');
    const run = (env: NodeJS.ProcessEnv, code: string) => () => {
      reset();
      return timeProcess(python, ['-c', code], { env });
    };
    try {
      for (const console of rich ? [false, true] : [false]) {
        const baseline = hasOriginal ? run(base, call(original!, console)) : () => timeProcess(python, ['-c', 'pass'], { env: base });
        const [orig, viaDaemon, viaSpawn] = await interleaved(context.runs, [baseline, run(daemon, call(CLIENT, console)), run(spawned, call(CLIENT, console))]);
        const baselineLabel = hasOriginal ? `original tracker${console ? ', rich console' : ''}` : 'python3 -c pass';
        const reference = median(orig!);
        const what = console ? 'with a rich console' : 'no console';
        const daemonValue = median(viaDaemon!);
        const spawnValue = median(viaSpawn!);
        const daemonRatio = daemonValue / reference;
        const target = console ? '< 1.0x' : '<= 0.5x';
        const limit = console ? 1.0 : 0.5;
        context.figure({
          id: `b.daemon${console ? '.console' : ''}`,
          label: `fresh python, check_module_export, ${what}, through the daemon`,
          value: daemonValue,
          unit: 'ms',
          baseline: reference,
          baselineLabel,
          ratio: daemonRatio,
          ...(hasOriginal ? { target, met: console ? daemonRatio < limit : daemonRatio <= limit, gross: daemonRatio > 3 * limit } : {}),
          runs: viaDaemon!.length,
        });
        context.figure({
          id: `b.spawn${console ? '.console' : ''}`,
          label: `fresh python, check_module_export, ${what}, spawn fallback`,
          value: spawnValue,
          unit: 'ms',
          baseline: reference,
          baselineLabel,
          ratio: spawnValue / reference,
          runs: viaSpawn!.length,
        });
        context.log(`${what}: ${baselineLabel} ${fmt(reference)} ms, daemon ${fmt(daemonValue)} ms, spawn ${fmt(spawnValue)} ms`);
        // The same runs paired within each round (the load of a shared machine drifts between rounds): for reading only.
        const paired = (side: number[]) => median(side.map((value, round) => value / orig![round]!));
        context.log(`${what}, median of per-round ratios: daemon ${paired(viaDaemon!).toFixed(2)}x, spawn ${paired(viaSpawn!).toFixed(2)}x`);
      }
    } finally {
      spawnSync(process.execPath, [BIN, 'daemon', 'stop'], { env: daemon, stdio: 'ignore' });
      rmSync(home, { recursive: true, force: true });
      rmSync(runtime, { recursive: true, force: true });
    }
  },
};
