// milestones/checkExport on fakes: recording, unlocking in catalog order, ifNew, module numbers, owed panels.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidParamsError } from '../../protocol/index.js';
import { unlockMessage } from '../../src/core/messages.js';
import { PENDING_PANEL_TTL_MS } from '../../src/core/pending-panels.js';
import { checkExport } from '../../src/handlers/check-export.js';
import { modulesSeen } from '../../src/handlers/watch-events.js';
import { lists, progress } from '../builders/progress.js';
import { fakeContext } from '../fakes/context.js';

const signal = new AbortController().signal;

test('the third required module unlocks the perceptron: the original message, one notification, one write', async () => {
  const context = fakeContext({ progress: progress({ modules: ['00_setup', '01_tensor'] }) });
  const result = await checkExport({ module: '02_autograd' }, context, signal);
  const perceptron = context.catalog.milestone('perceptron')!;
  assert.equal(result.newlyUnlocked, ['perceptron']);
  assert.equal(result.messages, [unlockMessage(perceptron)]);
  assert.is(result.text, unlockMessage(perceptron));
  assert.equal(context.notifier.sent, [
    { kind: 'unlocked', params: { id: 'perceptron', name: perceptron.name, description: perceptron.description, message: unlockMessage(perceptron), cause: 'checkExport' } },
  ]);
  assert.equal(lists(context.store.written!), { completed_modules: ['00_setup', '01_tensor', '02_autograd'], unlocked_milestones: ['perceptron'], completed_milestones: [] });
  assert.is(context.store.writes, 1);
});

test('a module that unlocks nothing is recorded and says so', async () => {
  const context = fakeContext();
  const result = await checkExport({ module: '00_setup' }, context, signal);
  assert.equal(result.newlyUnlocked, []);
  assert.is(result.text, 'Recorded 00_setup. No new milestone unlocked.');
  assert.equal(context.notifier.sent, []);
});

test('ifNew: a module already completed changes nothing; without it the module is re-checked', async () => {
  const context = fakeContext({ progress: progress({ modules: ['00_setup', '01_tensor', '02_autograd'] }) });
  assert.equal((await checkExport({ module: '02_autograd', ifNew: true }, context, signal)).newlyUnlocked, []);
  assert.is(context.store.writes, 0);
  assert.equal((await checkExport({ module: '02_autograd' }, context, signal)).newlyUnlocked, ['perceptron']);
});

test('a bare module number resolves through the catalog; one that matches nothing is invalid params', async () => {
  const context = fakeContext();
  await checkExport({ module: '1' }, context, signal);
  assert.equal(context.store.written?.completedModules, ['01_tensor']);
  try {
    await checkExport({ module: '9' }, context, signal);
    assert.unreachable('module 9 is not in the seed catalog');
  } catch (error) {
    assert.instance(error, InvalidParamsError);
    assert.match((error as Error).message, 'matches no module of the seed catalog');
  }
});

test('an unlock a watcher made first is still returned to the next checkExport of that module, once', async () => {
  const context = fakeContext({ progress: progress({ modules: ['00_setup', '01_tensor'] }) });
  await modulesSeen(context, ['02_autograd']);
  assert.equal(context.notifier.unlockedIds(), ['perceptron'], 'the watcher announced it (cause export)');
  const first = await checkExport({ module: '02_autograd' }, context, signal);
  assert.equal(first.newlyUnlocked, ['perceptron'], "tito's own call still shows the panel");
  assert.equal(context.notifier.unlockedIds(), ['perceptron'], 'but it is not announced twice');
  assert.equal((await checkExport({ module: '02_autograd' }, context, signal)).newlyUnlocked, [], 'only once');
});

test('an owed panel expires after its time to live', async () => {
  const context = fakeContext({ progress: progress({ modules: ['00_setup', '01_tensor'] }) });
  await modulesSeen(context, ['02_autograd']);
  context.clock.advance(PENDING_PANEL_TTL_MS);
  assert.equal((await checkExport({ module: '02_autograd' }, context, signal)).newlyUnlocked, []);
});

test.run();
