// tito's own progress.json: its completed module numbers, and which are new since last read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newlyListed, parseTitoProgress } from '../../src/core/tito-progress.js';
import { builtinCatalog } from '../../src/core/catalog.js';
import { modulesForNumbers } from '../../src/core/modules.js';

test("tito's file gives its numbers, which map through the catalog", () => {
  const parsed = parseTitoProgress(JSON.stringify({ completed_modules: ['01', '02', 3], last_completed: '02' }));
  assert.equal(parsed, { ok: true, numbers: ['01', '02'] });
  assert.equal(modulesForNumbers(builtinCatalog('tinytorch'), ['01', '02', '99']), ['01_tensor', '02_activations']);
});

test('a file without completed_modules completes nothing; a broken one is a reason', () => {
  assert.equal(parseTitoProgress('{}'), { ok: true, numbers: [] });
  assert.is(parseTitoProgress('{"completed_modules": ').ok, false);
  assert.is(parseTitoProgress('[]').ok, false);
  assert.is(parseTitoProgress('{"completed_modules": "01"}').ok, false);
});

test('only entries listed since the last read are new', () => {
  assert.equal(newlyListed(['01_tensor'], ['01_tensor', '02_activations']), ['02_activations']);
  assert.equal(newlyListed(['01_tensor'], []), []);
});

test.run();
