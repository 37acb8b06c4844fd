// Orphans (issue 10 B4): however the client goes (stdin closed, SIGTERM, EPIPE, its process killed), the sidecar is gone
// within 2 s and no process of a run survives. Prints one figure line a scenario.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hangingRun, type HangingRun } from '../helpers/hanging-run.js';
import { isGoneWithin } from '../helpers/process.js';
import type { Sidecar } from '../helpers/rpc-client.js';
import { scaled } from '../helpers/time.js';

/** The spec's bound, stretched on a loaded machine like every other (helpers/time.ts). */
const GONE_WITHIN_MS = scaled(2000);

let run: HangingRun;
const sidecars: Sidecar[] = [];
const strays: number[] = [];

test.before.each(() => {
  run = hangingRun();
});
test.after.each(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.dispose()));
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  run.dispose();
});

/** Starts a hanging run, ends the client the way `end` does, and returns how long the sidecar took and what survived. */
async function scenario(name: string, end: (sidecar: Sidecar) => void, initialize?: (sidecar: Sidecar) => Promise<void>) {
  const sidecar = run.start();
  sidecars.push(sidecar);
  await initialize?.(sidecar);
  sidecar.post('milestones/run', { id: 'hang' });
  const pids = await run.pids();
  strays.push(pids.script, pids.child, pids.detached);
  const started = performance.now();
  end(sidecar);
  const exit = await sidecar.waitExit(scaled(10_000));
  const tookMs = Math.round(performance.now() - started);
  // A killed process takes a moment to vanish; the group was killed before the sidecar exited.
  const survivors = [];
  for (const [what, pid] of [
    ['script', pids.script],
    ['child', pids.child],
  ] as const)
    if (!(await isGoneWithin(pid, 1000))) survivors.push(what);
  const detachedSurvives = !(await isGoneWithin(pids.detached, 1000));
  console.log(
    `  orphans: ${name}: sidecar gone in ${tookMs} ms (exit ${exit.code ?? exit.signal}), run processes surviving: ${survivors.length}, setsid grandchild surviving: ${detachedSurvives ? 1 : 0}`,
  );
  assert.ok(tookMs <= GONE_WITHIN_MS, `${name}: the sidecar took ${tookMs} ms to go`);
  assert.equal(survivors, [], `${name}: no process of the run survives`);
  assert.not.match(sidecar.stderr, '    at ', `${name}: no stack trace`);
}

test('stdin closed: the run is cancelled and the sidecar goes', async () => {
  await scenario('stdin closed', (sidecar) => sidecar.endInput());
});

test('SIGTERM: the run is killed and the sidecar goes', async () => {
  await scenario('SIGTERM', (sidecar) => sidecar.child.kill('SIGTERM'));
});

test('EPIPE: the reader of stdout is gone; the next write ends the sidecar and the run', async () => {
  await scenario('EPIPE', (sidecar) => {
    sidecar.child.stdout.destroy();
    sidecar.post('milestones/progress');
  });
});

test("the client's process (initialize's processId) is killed: the sidecar and the run go", async () => {
  const client = spawn('sleep', ['300'], { stdio: 'ignore' });
  strays.push(client.pid!);
  await scenario(
    'client process killed',
    () => client.kill('SIGKILL'),
    async (sidecar) => {
      await sidecar.request('initialize', { processId: client.pid, rootUri: null, capabilities: {} });
      sidecar.notify('initialized', {});
    },
  );
});

test.run();
