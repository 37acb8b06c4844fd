// milestones/run on a scripted runner: what is refused, what a pass records, output and progress, cancellation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CancelledError, MilestoneError } from '../../protocol/index.js';
import { run } from '../../src/handlers/run.js';
import { progress } from '../builders/progress.js';
import { fakeContext } from '../fakes/context.js';
import { createFakeRunner } from '../fakes/runner.js';

const UNLOCKED = progress({ modules: ['00_setup', '01_tensor', '02_autograd'], unlocked: ['perceptron'] });
const live = () => new AbortController().signal;

async function refusal(promise: Promise<unknown>): Promise<MilestoneError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, MilestoneError);
    return error as MilestoneError;
  }
  throw new Error('expected a refusal');
}

test('a locked milestone is milestone-locked with the modules it misses, and nothing runs', async () => {
  const context = fakeContext({ progress: progress({ modules: ['00_setup'] }) });
  const error = await refusal(run({ id: 'perceptron' }, context, live()));
  assert.is(error.kind, 'milestone-locked');
  assert.equal((error as MilestoneError<'milestone-locked'>).data.missing, ['01_tensor', '02_autograd']);
  assert.is(context.fakeRunner.jobs.length, 0);
});

test('no workspace is no-workspace; a second run of the same milestone is run-in-progress', async () => {
  assert.is((await refusal(run({ id: 'perceptron' }, fakeContext({ progress: UNLOCKED, config: { workspace: null } }), live()))).kind, 'no-workspace');
  let finish = () => {};
  const until = new Promise<void>((resolve) => (finish = resolve));
  const context = fakeContext({ progress: UNLOCKED, runner: createFakeRunner(() => ({ until })) });
  const first = run({ id: 'perceptron' }, context, live());
  await new Promise((resolve) => setImmediate(resolve));
  assert.is((await refusal(run({ id: 'perceptron' }, context, live()))).kind, 'run-in-progress');
  finish();
  assert.is((await first).passed, true);
});

test('a pass completes the milestone once, announces it, and reports work-done progress on the token', async () => {
  const runner = createFakeRunner(() => ({ output: [{ stream: 'stdout', text: 'epoch 1 loss 0.3\n' }] }));
  const context = fakeContext({ progress: UNLOCKED, runner });
  const result = await run({ id: 'perceptron', workDoneToken: 'tok' }, context, live());
  assert.equal([result.passed, result.newlyCompleted, result.exitCode], [true, true, 0]);
  assert.match(result.text, '✅ 1957 - The Perceptron: pytest passed');
  assert.equal(context.store.written?.completedMilestones, ['perceptron']);
  assert.equal(runner.jobs[0]?.workspace, '/workspace');
  assert.is(runner.jobs[0]?.honestReturns, true);
  const kinds = context.notifier.sent.map((entry) => (entry.kind === 'workDoneProgress' ? `progress ${entry.params.value.kind}` : entry.kind));
  assert.equal(kinds, ['progress begin', 'runOutput', 'progress report', 'completed', 'progress end']);
  assert.is((await run({ id: 'perceptron' }, context, live())).newlyCompleted, false, 'a second pass completes nothing new');
});

test('a failure is a result, not a throw: not completed, with the reason in one sentence', async () => {
  const runner = createFakeRunner(() => ({ reason: { kind: 'returned-false', node: 'tests/x.py::test_p' } }));
  const context = fakeContext({ progress: UNLOCKED, runner });
  const result = await run({ id: 'perceptron' }, context, live());
  assert.equal([result.passed, result.newlyCompleted], [false, false]);
  assert.match(result.text, 'returned False, which counts as a failure');
  assert.equal(context.store.written?.completedMilestones, []);
});

test('a cancelled run is a CancelledError, and the milestone can be run again', async () => {
  const controller = new AbortController();
  const context = fakeContext({ progress: UNLOCKED, runner: createFakeRunner(() => ({ until: new Promise(() => {}) })) });
  const running = run({ id: 'perceptron' }, context, controller.signal);
  await new Promise((resolve) => setImmediate(resolve));
  controller.abort();
  try {
    await running;
    assert.unreachable('a cancelled run is not answered with a result');
  } catch (error) {
    assert.instance(error, CancelledError);
  }
  assert.is(context.runsInProgress.size, 0);
  const aborted = new AbortController();
  aborted.abort();
  try {
    await run({ id: 'perceptron' }, context, aborted.signal);
    assert.unreachable('a run cancelled before it starts starts nothing');
  } catch (error) {
    assert.instance(error, CancelledError);
  }
  assert.is(context.fakeRunner.jobs.length, 1);
});

test.run();
