// milestones/run over stdio against a fixture workspace: results, refusals, streaming, timeouts and cancels leave no process.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RunRequest } from '../../protocol/index.js';
import { stripAnsi } from '../../src/adapters/run-output.js';
import { isGoneWithin } from '../helpers/process.js';
import { scaled } from '../helpers/time.js';
import { frame, Sidecar } from '../helpers/rpc-client.js';

const TESTS = `
import os, subprocess, time

def test_pass():
    return True

def test_returns_false():
    return False

def test_hangs():
    sleeper = subprocess.Popen(["sleep", "300"])
    with open("grandchild.pid.tmp", "w") as file:
        file.write(str(sleeper.pid))
    os.replace("grandchild.pid.tmp", "grandchild.pid")
    time.sleep(3600)
`;

const milestone = (id: string, test: string, requires = ['01_tensor']) => ({
  id,
  name: `Milestone ${id}`,
  description: `The ${id} fixture`,
  unlockMessage: 'go',
  requires,
  verify: { pytest: `tests/test_fixture.py::${test}` },
});

let folder = '';
let workspace = '';
const sidecars: Sidecar[] = [];

function start(options: { workspace?: boolean } = {}): Sidecar {
  const args = ['--progress-file', join(folder, 'progress.json'), '--catalog', join(folder, 'catalog.json')];
  if (options.workspace !== false) args.push('--workspace', workspace);
  // Without third-party plugin autoloading pytest starts in a fraction of a second, even on a busy machine.
  const sidecar = new Sidecar({ args, env: { TINYTORCH_WORKSPACE: '', PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' } });
  sidecars.push(sidecar);
  return sidecar;
}

async function grandchildPid(): Promise<number> {
  const file = join(workspace, 'grandchild.pid');
  for (let waited = 0; waited < scaled(5000); waited += 20) {
    if (existsSync(file)) return Number(readFileSync(file, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the hanging test never started its grandchild');
}

test.before.each(() => {
  folder = mkdtempSync(join(tmpdir(), 'ttm-run-'));
  workspace = join(folder, 'workspace');
  mkdirSync(join(workspace, 'tests'), { recursive: true });
  writeFileSync(join(workspace, 'tests', 'test_fixture.py'), TESTS);
  writeFileSync(
    join(folder, 'catalog.json'),
    JSON.stringify({
      name: 'fixture',
      honestReturns: true,
      milestones: [milestone('pass', 'test_pass'), milestone('false', 'test_returns_false'), milestone('hang', 'test_hangs'), milestone('locked', 'test_pass', ['02_other'])],
    }),
  );
  writeFileSync(
    join(folder, 'progress.json'),
    JSON.stringify({ completed_modules: ['01_tensor'], unlocked_milestones: ['pass', 'false', 'hang'], completed_milestones: [] }, null, 2),
  );
});
test.after.each(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.dispose()));
  rmSync(folder, { recursive: true, force: true });
});

test('a passing run completes the milestone once, streams its output in order, and reports $/progress', async () => {
  const sidecar = start();
  const answer = await sidecar.request('milestones/run', { id: 'pass', workDoneToken: 'tok' }, 30_000);
  const result = RunRequest.result.parse(answer.result);
  assert.is(result.passed, true);
  assert.is(result.exitCode, 0);
  assert.is(result.signal, null);
  assert.is(result.newlyCompleted, true);
  assert.match(result.outputTail, 'passed');
  const streamed = stripAnsi(
    sidecar
      .notifications('milestones/runOutput')
      .map((message) => message.params.text)
      .join(''),
  );
  const order = ['test session starts', '::test_pass PASSED', '1 passed'].map((line) => streamed.indexOf(line));
  assert.ok(
    order.every((index, position) => index >= 0 && (position === 0 || index > order[position - 1]!)),
    `streamed in order: ${order}`,
  );
  const progress = sidecar.notifications('$/progress').map((message) => message.params);
  assert.is(progress[0]?.token, 'tok');
  assert.is(progress[0]?.value.kind, 'begin');
  assert.is(progress.at(-1)?.value.kind, 'end');
  assert.is(sidecar.notifications('milestones/completed').length, 1);
  const file = JSON.parse(readFileSync(join(folder, 'progress.json'), 'utf8'));
  assert.equal(file.completed_milestones, ['pass']);

  const again = RunRequest.result.parse((await sidecar.request('milestones/run', { id: 'pass' }, 30_000)).result);
  assert.is(again.passed, true);
  assert.is(again.newlyCompleted, false, 'completion is recorded once');
  assert.is(sidecar.notifications('milestones/completed').length, 1);
  assert.equal(JSON.parse(readFileSync(join(folder, 'progress.json'), 'utf8')).completed_milestones, ['pass']);
});

test('a test that returns False fails under honest returns, and completes nothing', async () => {
  const sidecar = start();
  const result = RunRequest.result.parse((await sidecar.request('milestones/run', { id: 'false' }, 30_000)).result);
  assert.is(result.passed, false);
  assert.is.not(result.exitCode, 0);
  assert.match(result.text, 'returned False');
  assert.is(result.newlyCompleted, false);
  assert.equal(JSON.parse(readFileSync(join(folder, 'progress.json'), 'utf8')).completed_milestones, []);
});

test('unknown, locked, already running and workspace-less runs are refused with their kinds', async () => {
  const sidecar = start();
  const unknown = await sidecar.request('milestones/run', { id: 'nope' });
  assert.is(unknown.error?.data?.kind, 'unknown-milestone');
  const locked = await sidecar.request('milestones/run', { id: 'locked' });
  assert.is(locked.error?.code, 1002);
  assert.equal(locked.error?.data?.missing, ['02_other']);

  const first = sidecar.post('milestones/run', { id: 'hang', timeoutMs: 60_000 });
  await grandchildPid();
  const second = await sidecar.request('milestones/run', { id: 'hang' });
  assert.is(second.error?.code, 1003);
  assert.is(second.error?.data?.kind, 'run-in-progress');
  sidecar.notify('$/cancelRequest', { id: first });
  assert.is((await sidecar.response(first, 5000)).error?.code, -32800);

  const bare = start({ workspace: false });
  const noWorkspace = await bare.request('milestones/run', { id: 'pass' });
  assert.is(noWorkspace.error?.code, 1006);
  assert.is(noWorkspace.error?.data?.kind, 'no-workspace');
});

test('a hung run is answered soon after its time limit and leaves no descendant', async () => {
  const sidecar = start();
  const started = Date.now();
  // The limit must outlast pytest's start-up and the grandchild's spawn, which a loaded machine slows down.
  const timeoutMs = scaled(4000);
  const id = sidecar.post('milestones/run', { id: 'hang', timeoutMs });
  const pid = await grandchildPid();
  const result = RunRequest.result.parse((await sidecar.response(id, 5000)).result);
  assert.ok(Date.now() - started < timeoutMs + scaled(3000));
  assert.is(result.passed, false);
  assert.ok(result.signal !== null || result.exitCode !== 0);
  assert.match(result.text, 'did not finish within');
  assert.ok(await isGoneWithin(pid, 1000), `grandchild ${pid} survived the timeout`);
});

test('$/cancelRequest answers -32800 and kills the whole group', async () => {
  const sidecar = start();
  const id = sidecar.post('milestones/run', { id: 'hang', timeoutMs: 60_000 });
  const pid = await grandchildPid();
  sidecar.notify('$/cancelRequest', { id });
  const answer = await sidecar.response(id, 5000);
  assert.is(answer.error?.code, -32800);
  assert.ok(await isGoneWithin(pid, 1000), `grandchild ${pid} survived the cancel`);
  assert.ok((await sidecar.request('milestones/progress')).result, 'the sidecar goes on');
});

test('a cancel that arrives with its run, before the run is dispatched, still cancels it', async () => {
  const sidecar = start();
  await sidecar.request('milestones/progress');
  const run = frame({ jsonrpc: '2.0', id: 'early', method: 'milestones/run', params: { id: 'pass' } });
  const cancel = frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 'early' } });
  sidecar.sendRaw(Buffer.concat([run, cancel]));
  assert.is((await sidecar.response('early', 30_000)).error?.code, -32800);
  assert.equal(JSON.parse(readFileSync(join(folder, 'progress.json'), 'utf8')).completed_milestones, [], 'a cancelled run completes nothing');
});

test('end of input during a run cancels it, answers -32800, kills the group and exits', async () => {
  const sidecar = start();
  const id = sidecar.post('milestones/run', { id: 'hang', timeoutMs: 60_000 });
  const pid = await grandchildPid();
  sidecar.endInput();
  const exit = await sidecar.waitExit(5000);
  assert.is(exit.code, 0);
  assert.is(sidecar.messages.find((message) => message.id === id)?.error?.code, -32800);
  assert.ok(await isGoneWithin(pid, 1000), `grandchild ${pid} survived end of input`);
});

test("exit during a run ends the process at once, and the run's group with it", async () => {
  const sidecar = start();
  await sidecar.initialize();
  const id = sidecar.post('milestones/run', { id: 'hang', timeoutMs: 60_000 });
  const pid = await grandchildPid();
  assert.is((await sidecar.request('shutdown')).result, null);
  sidecar.notify('exit');
  assert.is((await sidecar.waitExit(5000)).code, 0);
  assert.is(sidecar.messages.find((message) => message.id === id)?.error?.code, -32800);
  assert.ok(await isGoneWithin(pid, 2000), `grandchild ${pid} survived exit`);
});

test("SIGTERM, SIGINT or SIGHUP to the sidecar during a run kills the run's whole group", async () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    rmSync(join(workspace, 'grandchild.pid'), { force: true });
    const sidecar = start();
    sidecar.post('milestones/run', { id: 'hang', timeoutMs: 60_000 });
    const pid = await grandchildPid();
    sidecar.child.kill(signal);
    await sidecar.waitExit(5000);
    assert.ok(await isGoneWithin(pid, 2000), `grandchild ${pid} survived ${signal} to the sidecar`);
  }
});

test('a run still queued when input ends never starts: it is answered -32800 and completes nothing', async () => {
  const sidecar = start();
  const id = sidecar.post('milestones/run', { id: 'pass' });
  sidecar.endInput();
  assert.is((await sidecar.waitExit(5000)).code, 0);
  assert.is(sidecar.messages.find((message) => message.id === id)?.error?.code, -32800);
  assert.equal(JSON.parse(readFileSync(join(folder, 'progress.json'), 'utf8')).completed_milestones, []);
});

test.run();
