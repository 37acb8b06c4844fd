// The panels a watcher owes to tito's checkExport: owed per module, claimed once, dropped when stale or re-locked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { claimPanels, forgetPanels, NO_PENDING_PANELS, owePanels, parsePendingPanels, PENDING_PANEL_TTL_MS, serializePendingPanels } from '../../src/core/pending-panels.js';
import { progress } from '../builders/progress.js';

const NOW = 1_750_000_000_000;

test('a panel owed to a module is claimed by that module once', () => {
  const pending = owePanels(NO_PENDING_PANELS, { milestones: ['perceptron'], modules: ['01_tensor'], now: NOW });
  const unlocked = progress({ unlocked: ['perceptron'] });
  const other = claimPanels(pending, { module: '02_autograd', progress: unlocked, now: NOW + 10 });
  assert.equal(other.milestones, []);
  assert.equal(other.pending, pending);
  const first = claimPanels(pending, { module: '01_tensor', progress: unlocked, now: NOW + 10 });
  assert.equal(first.milestones, ['perceptron']);
  assert.equal(first.pending, []);
  assert.equal(claimPanels(first.pending, { module: '01_tensor', progress: unlocked, now: NOW + 20 }).milestones, []);
});

test('nothing unlocked or no module: nothing owed', () => {
  assert.is(owePanels(NO_PENDING_PANELS, { milestones: [], modules: ['01_tensor'], now: NOW }), NO_PENDING_PANELS);
  assert.is(owePanels(NO_PENDING_PANELS, { milestones: ['perceptron'], modules: [], now: NOW }), NO_PENDING_PANELS);
});

test('a stale entry is dropped, and a re-locked milestone is not shown', () => {
  const pending = owePanels(NO_PENDING_PANELS, { milestones: ['perceptron', 'xor'], modules: ['03_nn'], now: NOW });
  assert.equal(claimPanels(pending, { module: '03_nn', progress: progress({ unlocked: ['perceptron', 'xor'] }), now: NOW + PENDING_PANEL_TTL_MS }).milestones, []);
  const relocked = claimPanels(pending, { module: '03_nn', progress: progress({ unlocked: ['perceptron'] }), now: NOW + 1 });
  assert.equal(relocked.milestones, ['perceptron']);
  assert.equal(relocked.pending, []);
});

test('a milestone completed meanwhile (run in the editor) is not shown as unlocked', () => {
  const pending = owePanels(NO_PENDING_PANELS, { milestones: ['perceptron'], modules: ['01_tensor'], now: NOW });
  const claimed = claimPanels(pending, { module: '01_tensor', progress: progress({ unlocked: ['perceptron'], completed: ['perceptron'] }), now: NOW + 1 });
  assert.equal(claimed.milestones, []);
  assert.equal(claimed.pending, []);
});

test('owing a milestone again replaces the older entry; stale entries are pruned', () => {
  const old = owePanels(NO_PENDING_PANELS, { milestones: ['cnn'], modules: ['07_spatial'], now: NOW - PENDING_PANEL_TTL_MS });
  const first = owePanels(old, { milestones: ['perceptron'], modules: ['01_tensor'], now: NOW });
  const again = owePanels(first, { milestones: ['perceptron'], modules: ['02_autograd'], now: NOW + 5 });
  assert.equal(again, [{ milestone: 'perceptron', modules: ['02_autograd'], at: NOW + 5 }]);
});

test('a panel shown by another checkExport or re-locked by a reset is forgotten', () => {
  const pending = owePanels(NO_PENDING_PANELS, { milestones: ['perceptron', 'xor'], modules: ['01_tensor'], now: NOW });
  assert.equal(forgetPanels(pending, ['perceptron']), [{ milestone: 'xor', modules: ['01_tensor'], at: NOW }]);
  assert.is(forgetPanels(pending, []), pending);
});

test('the file round-trips; a damaged file owes nothing', () => {
  const pending = owePanels(NO_PENDING_PANELS, { milestones: ['perceptron'], modules: ['00_setup', '01_tensor'], now: NOW });
  assert.equal(parsePendingPanels(serializePendingPanels(pending)), pending);
  for (const text of ['', '{', 'null', '[]', '{"panels": 3}']) assert.equal(parsePendingPanels(text), [], text);
  assert.equal(parsePendingPanels('{"panels": [{"milestone": 1}, {"milestone": "xor", "modules": ["03_nn"], "at": 5}]}'), [{ milestone: 'xor', modules: ['03_nn'], at: 5 }]);
});

test.run();
