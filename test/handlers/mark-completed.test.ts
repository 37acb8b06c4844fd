// milestones/markCompleted, milestones/reset and milestones/rescan on fakes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MilestoneError } from '../../protocol/index.js';
import { markCompleted } from '../../src/handlers/mark-completed.js';
import { rescan } from '../../src/handlers/rescan.js';
import { reset } from '../../src/handlers/reset.js';
import { lists, progress } from '../builders/progress.js';
import { fakeContext } from '../fakes/context.js';

const signal = new AbortController().signal;

test('markCompleted completes once and announces it once; it does not need the milestone unlocked', async () => {
  const context = fakeContext();
  const first = await markCompleted({ id: 'xor' }, context, signal);
  assert.is(first.newlyCompleted, true);
  assert.match(first.message, '🏆 MILESTONE COMPLETED!');
  const again = await markCompleted({ id: 'xor' }, context, signal);
  assert.is(again.newlyCompleted, false);
  assert.match(again.message, 'was already completed');
  assert.equal(context.notifier.completedIds(), ['xor']);
  assert.equal(context.store.written?.completedMilestones, ['xor']);
});

test('an unknown milestone is unknown-milestone naming the catalog, and nothing is written', async () => {
  const context = fakeContext();
  try {
    await markCompleted({ id: 'nope' }, context, signal);
    assert.unreachable('nope is not a milestone');
  } catch (error) {
    assert.instance(error, MilestoneError);
    assert.is((error as MilestoneError).kind, 'unknown-milestone');
    assert.match((error as Error).message, 'the seed catalog has perceptron, xor');
  }
  assert.is(context.store.written, null);
});

test('reset un-completes a module and re-locks what needs it; unlocking it again is news again', async () => {
  const context = fakeContext({ progress: progress({ modules: ['00_setup', '01_tensor', '02_autograd'], unlocked: ['perceptron'] }) });
  const result = await reset({ module: '02_autograd' }, context, signal);
  assert.equal([result.module, result.wasCompleted, result.relocked], ['02_autograd', true, ['perceptron']]);
  assert.equal(lists(context.store.written!), { completed_modules: ['00_setup', '01_tensor'], unlocked_milestones: [], completed_milestones: [] });
  assert.equal(context.notifier.sent, [], 'a reset announces nothing');
});

test('rescan records what the workspace shows, logs its problems, and announces unlocks with cause rescan', async () => {
  const context = fakeContext({ scan: { modules: ['00_setup', '01_tensor', '02_autograd'], completedMilestones: [], problems: ["tito's progress file was not read"] } });
  const result = await rescan({}, context, signal);
  assert.equal(result.recorded, ['00_setup', '01_tensor', '02_autograd']);
  assert.equal(result.newlyUnlocked, ['perceptron']);
  assert.equal(
    context.notifier.sent.map((entry) => (entry.kind === 'unlocked' ? `unlocked ${entry.params.cause}` : entry.kind === 'log' ? `log ${entry.params.message}` : entry.kind)),
    ["log tito's progress file was not read", 'unlocked rescan'],
  );
});

test.run();
