// Crash safety (issue 10 B3): sidecars killed with SIGKILL in the middle of their writes never leave an unreadable file or
// lose an acknowledged update; a corrupt file is backed up and reported, never overwritten.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Sidecar } from '../test/helpers/rpc-client.js';
import type { Campaign, SoakOptions, SoakResult } from './campaign.js';

const QUICK_KILLS = 50;
const LONG_KILLS = 200;
/** Requests pipelined into each sidecar before it is killed: more than it can write in the time it gets. */
const PIPELINED = 400;
const REPLY_MS = 60_000;

/** A small deterministic generator, so a failing run can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface KillOutcome {
  acknowledged: string[];
  killedAfterMs: number;
}

/** One sidecar writing as fast as it can, killed with SIGKILL a random moment after its first acknowledged write. */
async function killOneWriter(progressFile: string, round: number, next: () => number): Promise<KillOutcome> {
  const sidecar = new Sidecar({ args: ['--progress-file', progressFile, '--catalog', 'seed'], env: { TINYTORCH_WORKSPACE: undefined, TINYTORCH_EXPORTS: undefined } });
  try {
    const modules = Array.from({ length: PIPELINED }, (_, i) => `${String(i % 100).padStart(2, '0')}_k${round}_${i}`);
    const ids = modules.map((module) => sidecar.post('milestones/checkExport', { module }));
    await sidecar.response(ids[0]!, REPLY_MS);
    const killedAfterMs = Math.round(next() * 150);
    await sleep(killedAfterMs);
    sidecar.child.kill('SIGKILL');
    await sidecar.exited;
    // Only what was answered before the kill counts as acknowledged.
    const acknowledged = modules.filter((_, i) => sidecar.messages.some((message) => message.id === ids[i] && message.result !== undefined));
    return { acknowledged, killedAfterMs };
  } finally {
    await sidecar.dispose();
  }
}

export const campaign: Campaign = {
  title: 'Crash safety: sidecars killed with SIGKILL mid-write, then a planted corrupt file',
  async run(options: SoakOptions): Promise<SoakResult> {
    const started = Date.now();
    const folder = mkdtempSync(join(tmpdir(), 'ttm-soak-kills-'));
    const progressFile = join(folder, 'progress.json');
    const next = random(3);
    const failures: string[] = [];
    let kills = 0;
    let acknowledged = 0;
    let lost = 0;
    let unreadable = 0;
    let killedDuringWrite = 0;
    const everyAcknowledged = new Set<string>();
    try {
      const target = options.quick ? (options.requests ?? QUICK_KILLS) : LONG_KILLS;
      while (kills < target || (!options.quick && Date.now() - started < options.durationMs)) {
        const before = new Set(readdirSync(folder));
        const outcome = await killOneWriter(progressFile, kills, next);
        kills++;
        acknowledged += outcome.acknowledged.length;
        for (const module of outcome.acknowledged) everyAcknowledged.add(module);
        // A temporary file or lock left behind means the kill landed inside a write.
        if (readdirSync(folder).some((name) => !before.has(name) && name !== 'progress.json')) killedDuringWrite++;
        let modules: string[] = [];
        try {
          modules = (JSON.parse(readFileSync(progressFile, 'utf8')) as { completed_modules: string[] }).completed_modules;
        } catch (error) {
          unreadable++;
          failures.push(`after kill ${kills}, the progress file does not parse: ${(error as Error).message}`);
          break;
        }
        const saved = new Set(modules);
        const missing = [...everyAcknowledged].filter((module) => !saved.has(module));
        lost += missing.length;
        if (missing.length) failures.push(`after kill ${kills}, ${missing.length} acknowledged updates are missing (${missing.slice(0, 3).join(', ')})`);
        if (kills % 25 === 0) options.log(`${kills} kills, ${acknowledged} acknowledged updates, ${killedDuringWrite} left a write unfinished`);
      }

      // The next writer takes over whatever the kills left (lock, temporary files) and cleans up.
      const survivor = new Sidecar({ args: ['--progress-file', progressFile, '--catalog', 'seed'], env: { TINYTORCH_WORKSPACE: undefined, TINYTORCH_EXPORTS: undefined } });
      const last = await survivor.request('milestones/checkExport', { module: '99_after_kills' }, REPLY_MS);
      if (last.error) failures.push(`a write after the kills failed: ${last.error.message}`);
      const leftovers = readdirSync(folder).filter((name) => name !== 'progress.json');
      if (leftovers.length) failures.push(`left after the next write: ${leftovers.join(', ')}`);

      // A corrupt file: reported as 1004 with its backup, and left exactly as it was.
      const corrupt = Buffer.from('{"completed_modules": ["00_setup", \xff half written');
      writeFileSync(progressFile, corrupt);
      const answer = await survivor.request('milestones/checkExport', { module: '98_after_corruption' }, REPLY_MS);
      const backup = answer.error?.data?.backup as string | undefined;
      const reported = answer.error?.code === 1004 && answer.error.data?.path === progressFile;
      const backedUp = backup !== undefined && existsSync(backup) && readFileSync(backup).equals(corrupt);
      const untouched = readFileSync(progressFile).equals(corrupt);
      if (!reported) failures.push(`the corrupt file was answered ${JSON.stringify(answer.error ?? answer.result)}, not 1004`);
      if (!backedUp) failures.push('the corrupt file was not backed up byte for byte');
      if (!untouched) failures.push('the corrupt file was overwritten');
      survivor.endInput();
      await survivor.waitExit(REPLY_MS).catch(() => survivor.dispose());

      return {
        ok: failures.length === 0,
        figures: {
          SIGKILLs: kills,
          'kills that left a write unfinished (a lock or temporary file behind)': killedDuringWrite,
          'acknowledged updates': acknowledged,
          'acknowledged updates lost': lost,
          'unreadable files after a kill': unreadable,
          'files left after the next write': leftovers.length,
          'planted corrupt file': `${reported ? 'reported as 1004' : 'NOT reported'}, ${backedUp ? 'backed up byte for byte' : 'NOT backed up'}, ${untouched ? 'left untouched' : 'OVERWRITTEN'}`,
          'wall time': `${((Date.now() - started) / 1000).toFixed(1)} s`,
        },
        failures,
      };
    } finally {
      rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
  },
};
