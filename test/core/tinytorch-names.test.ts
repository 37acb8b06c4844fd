// Names outside the catalog get the nearest catalog module; a run that misses a Python module says which Python ran.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinCatalog } from '../../src/core/catalog.js';
import { missingModuleHint, notInCatalogText } from '../../src/core/messages.js';
import { nearestModule } from '../../src/core/modules.js';
import { parseTitoMilestones } from '../../src/core/tito-milestones.js';
import { noLongerListed } from '../../src/core/tito-progress.js';

const tinytorch = builtinCatalog('tinytorch');

test('the nearest module: the same name under another number, a near spelling, else the same number', () => {
  assert.is(nearestModule(tinytorch, '08_spatial'), '09_spatial');
  assert.is(nearestModule(tinytorch, '16_quantization'), '15_quantization');
  assert.is(nearestModule(tinytorch, '08_dataloaders'), '08_dataloader');
  assert.is(nearestModule(tinytorch, '20_competition'), '20_capstone');
  assert.is(nearestModule(tinytorch, '42_unrelated'), null);
  assert.is(nearestModule(tinytorch, '01_tensor'), null);
  assert.is(notInCatalogText('08_spatial', 'tinytorch', '09_spatial'), '08_spatial is not a module of the tinytorch catalog (did you mean 09_spatial?)');
});

test("a ModuleNotFoundError names the Python that ran and how to choose another; tinytorch's own modules mean an export", () => {
  const tail = "Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named 'rich'\n";
  const hint = missingModuleHint(tail, 'python3');
  assert.ok(hint?.includes("python3 has no module named 'rich'"));
  assert.ok(hint?.includes('--python, TINYTORCH_PYTHON, or activate'));
  assert.ok(missingModuleHint("ModuleNotFoundError: No module named 'tinytorch.core.activations'", '/v/bin/python')?.includes('export the module'));
  assert.is(missingModuleHint('AssertionError', 'python3'), null);
});

test("tito's records: completed milestones read as written, entries tito removed are found", () => {
  assert.equal(parseTitoMilestones('{"completed_milestones": ["01", 2], "total_unlocked": 1}'), { ok: true, completed: ['01'] });
  assert.equal(parseTitoMilestones('{}'), { ok: true, completed: [] });
  assert.is(parseTitoMilestones('{"completed_milestones": "01"}').ok, false);
  assert.equal(noLongerListed(['01_tensor', '02_activations'], ['02_activations']), ['01_tensor']);
});

test.run();
