// Smoke tests of the built sidecar over real stdio: a whole unlock, exit codes, the drain at end of input, a clean
// stdout and a bad catalog at start-up. The protocol in detail is tested in memory (test/server.test.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CheckExportRequest, ProgressRequest, UnlockedNotification } from '../../protocol/index.js';
import { Sidecar } from '../helpers/rpc-client.js';

const PERCEPTRON_MESSAGE =
  '🔓 MILESTONE UNLOCKED!\n\n1957 - The Perceptron\nFirst learning algorithm with automatic weight updates\n\n🎉 You can now verify that gradient descent actually works!\n\nRun: tito milestones run perceptron';

let folder = '';
const sidecars: Sidecar[] = [];
const progressFile = () => join(folder, 'progress.json');
const start = (args: string[] = [], options: ConstructorParameters<typeof Sidecar>[0] = {}) => {
  const sidecar = new Sidecar({ ...options, args: ['--progress-file', progressFile(), ...args], env: { TINYTORCH_WORKSPACE: '', TINYTORCH_CATALOG: '', ...options.env } });
  sidecars.push(sidecar);
  return sidecar;
};

test.before.each(() => {
  folder = mkdtempSync(join(tmpdir(), 'ttm-protocol-'));
});
test.after.each(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.dispose()));
  rmSync(folder, { recursive: true, force: true });
});

test('three exports unlock the perceptron, with the original message, a notification and the original file', async () => {
  const sidecar = start();
  for (const module of ['00_setup', '01_tensor']) {
    const answer = await sidecar.request('milestones/checkExport', { module });
    assert.equal(CheckExportRequest.result.parse(answer.result).newlyUnlocked, []);
  }
  const third = CheckExportRequest.result.parse((await sidecar.request('milestones/checkExport', { module: '02_autograd' })).result);
  assert.equal(third.newlyUnlocked, ['perceptron']);
  assert.equal(third.messages, [PERCEPTRON_MESSAGE]);
  const note = UnlockedNotification.params.parse((await sidecar.waitFor((message) => message.method === 'milestones/unlocked')).params);
  assert.equal(note, {
    id: 'perceptron',
    name: '1957 - The Perceptron',
    description: 'First learning algorithm with automatic weight updates',
    message: PERCEPTRON_MESSAGE,
    cause: 'checkExport',
    seq: 1,
  });
  assert.is(
    readFileSync(progressFile(), 'utf8'),
    JSON.stringify({ completed_modules: ['00_setup', '01_tensor', '02_autograd'], unlocked_milestones: ['perceptron'], completed_milestones: [] }, null, 2),
  );
  assert.equal(sidecar.strayStdout, '');
});

test('shutdown then exit ends with 0; exit without shutdown ends with 1; requests after shutdown are refused', async () => {
  const clean = start();
  await clean.initialize();
  assert.is((await clean.request('shutdown')).result, null);
  assert.is((await clean.request('milestones/progress')).error?.code, -32600);
  clean.notify('exit');
  assert.is((await clean.waitExit()).code, 0);

  const abrupt = start();
  await abrupt.initialize();
  abrupt.notify('exit');
  assert.is((await abrupt.waitExit()).code, 1);
});

test('piped requests followed by end of input are all answered, then the process exits', async () => {
  const sidecar = start();
  const ids = ['00_setup', '01_tensor', '02_autograd', '03_nn'].map((module) => sidecar.post('milestones/checkExport', { module }));
  ids.push(sidecar.post('milestones/progress'), sidecar.post('milestones/list'), sidecar.post('milestones/nothing'));
  sidecar.endInput();
  const exit = await sidecar.waitExit();
  assert.is(exit.code, 0, 'no initialize: exit code 0');
  for (const id of ids)
    assert.ok(
      sidecar.messages.some((message) => message.id === id && message.method === undefined),
      `answer to ${id}`,
    );
  const progress = ProgressRequest.result.parse(sidecar.messages.find((message) => message.id === ids[4])?.result);
  assert.is(progress.milestones[1]?.status, 'unlocked', 'a read after pipelined writes sees them');
  assert.is(sidecar.notifications('milestones/unlocked').length, 2);
});

test('whatever else writes to stdout goes to stderr: the stream stays clean', async () => {
  const noisy = fileURLToPath(new URL('../fixtures/noisy-stdout.mjs', import.meta.url));
  const sidecar = start([], { nodeArgs: ['--import', noisy] });
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const module of ['00_setup', '01_tensor', '02_autograd']) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    await sidecar.request('milestones/checkExport', { module });
  }
  await sidecar.waitFor((message) => message.method === 'milestones/unlocked');
  assert.equal(sidecar.strayStdout, '');
  assert.match(sidecar.stderr, 'noise from console.log');
});

test('a bad catalog at start-up is one clear sentence and a non-zero exit', async () => {
  const bad = join(folder, 'dup.json');
  const milestone = { id: 'a', name: 'A', description: '', unlockMessage: '', requires: ['01_tensor'], verify: { pytest: 'x' } };
  writeFileSync(bad, JSON.stringify({ name: 'dup', milestones: [milestone, milestone] }));
  const sidecar = start(['--catalog', bad]);
  const exit = await sidecar.waitExit(5000);
  assert.is.not(exit.code, 0);
  assert.match(sidecar.stderr, 'duplicate milestone id "a"');
  assert.not.match(sidecar.stderr, '    at ');
});

test.run();
