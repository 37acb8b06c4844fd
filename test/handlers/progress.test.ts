// milestones/progress and milestones/list on fakes: views of the store, and changes by another process announced once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MilestoneError } from '../../protocol/index.js';
import { list } from '../../src/handlers/list.js';
import { progress as progressHandler } from '../../src/handlers/progress.js';
import { progress } from '../builders/progress.js';
import { fakeContext } from '../fakes/context.js';

const signal = new AbortController().signal;

test('progress: each milestone with its status and requirements met, and what comes next', async () => {
  const context = fakeContext({ progress: progress({ modules: ['00_setup', '01_tensor'] }) });
  const result = await progressHandler({}, context, signal);
  assert.is(result.catalog, 'seed');
  assert.equal(result.milestones[0], {
    id: 'perceptron',
    name: '1957 - The Perceptron',
    description: 'First learning algorithm with automatic weight updates',
    status: 'locked',
    requires: ['00_setup', '01_tensor', '02_autograd'],
    met: 2,
    missing: ['02_autograd'],
  });
  assert.equal(result.next, { id: 'perceptron', name: '1957 - The Perceptron', missing: ['02_autograd'] });
  assert.match(result.text, /1957 - The Perceptron\s+🔒 Locked\s+2\/3 modules/);
  assert.is(context.store.writes, 0, 'a read never writes');
});

test('list: the unlocked, not completed milestones with the command that verifies each', async () => {
  const context = fakeContext({ progress: progress({ modules: ['00_setup', '01_tensor', '02_autograd'], unlocked: ['perceptron', 'xor'], completed: ['xor'] }) });
  const result = await list({}, context, signal);
  assert.equal(result.tests, [
    {
      id: 'perceptron',
      name: '1957 - The Perceptron',
      description: 'First learning algorithm with automatic weight updates',
      command: 'pytest tests/milestones/test_learning_verification.py::test_perceptron_learning -v',
    },
  ]);
  assert.is((await list({}, fakeContext(), signal)).text, 'No milestones unlocked yet. Complete more modules!');
});

test("another process's unlock is announced (cause external) by the next read, and only once", async () => {
  const context = fakeContext();
  context.store.writeExternally(progress({ modules: ['00_setup', '01_tensor', '02_autograd'], unlocked: ['perceptron'] }));
  await progressHandler({}, context, signal);
  await list({}, context, signal);
  assert.equal(
    context.notifier.sent.map((entry) => [entry.kind, entry.kind === 'unlocked' ? entry.params.cause : null]),
    [['unlocked', 'external']],
  );
});

test('a corrupt progress file is progress-file-corrupt, with its path', async () => {
  const context = fakeContext();
  context.store.corrupt();
  try {
    await progressHandler({}, context, signal);
    assert.unreachable('a corrupt file cannot be shown');
  } catch (error) {
    assert.instance(error, MilestoneError);
    assert.is((error as MilestoneError).kind, 'progress-file-corrupt');
    assert.is((error as MilestoneError<'progress-file-corrupt'>).data.path, context.store.path);
  }
});

test.run();
