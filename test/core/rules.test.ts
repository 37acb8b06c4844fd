// The pure core: unlock rules, progress views, transitions, catalog validation and module-name resolution.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILTIN_CATALOGS, builtinCatalog } from '../../src/core/catalog.js';
import { checkCatalog } from '../../src/core/catalog-check.js';
import { resolveModule } from '../../src/core/modules.js';
import { sameProgress } from '../../src/core/progress.js';
import {
  canRun,
  completeMilestone,
  milestoneStatus,
  progressView,
  recordModule,
  recordModules,
  resetModule,
  transitions,
  unlockReady,
  unlockedNotCompleted,
} from '../../src/core/rules.js';
import { catalog, chainCatalog, lists, milestone, progress, rawCatalog } from '../builders/progress.js';

const ids = (milestones: readonly { id: string }[]) => milestones.map((item) => item.id);
const origin = 'test';

function problemsOf(value: unknown): string[] {
  const check = checkCatalog(value, origin);
  assert.not.ok(check.ok, `expected ${JSON.stringify(value)} to be rejected`);
  return check.ok ? [] : check.problems;
}

function assertProblem(problems: readonly string[], pattern: RegExp): void {
  assert.ok(
    problems.some((problem) => pattern.test(problem)),
    `expected a problem matching ${pattern}, got:\n  ${problems.join('\n  ')}`,
  );
}

// ---- unlocking ----

test('modules recorded one by one unlock milestones in order, one each', () => {
  const chain = chainCatalog();
  let current = progress();
  const seen: string[][] = [];
  for (const module of ['01_one', '02_two', '03_three', '04_four']) {
    const change = recordModule(chain, current, module);
    seen.push(ids(change.newlyUnlocked));
    current = change.progress;
  }
  assert.equal(seen, [['a'], ['b'], ['c'], ['d']]);
  assert.equal(lists(current), {
    completed_modules: ['01_one', '02_two', '03_three', '04_four'],
    unlocked_milestones: ['a', 'b', 'c', 'd'],
    completed_milestones: [],
  });
});

test('a milestone does not unlock while one required module is missing', () => {
  const chain = chainCatalog();
  const change = recordModule(chain, progress({ modules: ['02_two', '03_three'] }), '04_four');
  assert.equal(ids(change.newlyUnlocked), ['d']);
  assert.not.ok(change.progress.unlockedMilestones.includes('b'));
  assert.not.ok(change.progress.unlockedMilestones.includes('c'));
});

test('several unlocks in one call come in catalog order, appended after the ones already unlocked', () => {
  const chain = chainCatalog();
  const before = progress({ modules: ['04_four', '03_three', '02_two'], unlocked: ['ghost'] });
  const change = recordModule(chain, before, '01_one');
  assert.equal(ids(change.newlyUnlocked), ['a', 'b', 'c', 'd']);
  assert.equal(change.progress.unlockedMilestones, ['ghost', 'a', 'b', 'c', 'd']);
});

test('catalog order wins over alphabetical and requirement order', () => {
  const reversed = catalog([milestone('zeta', ['02_two', '01_one']), milestone('alpha', ['01_one']), milestone('mid', ['01_one', '02_two'])]);
  const change = recordModule(reversed, progress({ modules: ['02_two'] }), '01_one');
  assert.equal(ids(change.newlyUnlocked), ['zeta', 'alpha', 'mid']);
  assert.equal(change.progress.unlockedMilestones, ['zeta', 'alpha', 'mid']);
});

test('a repeated call returns nothing and changes nothing', () => {
  const chain = chainCatalog();
  const first = recordModule(chain, progress(), '01_one');
  const again = recordModule(chain, first.progress, '01_one');
  assert.equal(ids(again.newlyUnlocked), []);
  assert.ok(sameProgress(first.progress, again.progress));
  assert.equal(again.progress.completedModules, ['01_one'], 'the module is recorded once');
  const withIfNew = recordModule(chain, first.progress, '01_one', { ifNew: true });
  assert.equal(ids(withIfNew.newlyUnlocked), []);
  assert.ok(sameProgress(first.progress, withIfNew.progress));
});

test('without ifNew an already completed module re-checks every milestone (check_module_export)', () => {
  const chain = chainCatalog();
  const stale = progress({ modules: ['01_one', '02_two'] });
  const change = recordModule(chain, stale, '02_two');
  assert.equal(ids(change.newlyUnlocked), ['a', 'b']);
  assert.equal(lists(change.progress), { completed_modules: ['01_one', '02_two'], unlocked_milestones: ['a', 'b'], completed_milestones: [] });
});

test('with ifNew an already completed module changes nothing and re-checks nothing (mark_module_complete)', () => {
  const chain = chainCatalog();
  const stale = progress({ modules: ['01_one', '02_two'] });
  const change = recordModule(chain, stale, '02_two', { ifNew: true });
  assert.equal(ids(change.newlyUnlocked), []);
  assert.ok(sameProgress(stale, change.progress));
});

test('with ifNew a new module records and re-checks like a plain call', () => {
  const chain = chainCatalog();
  const stale = progress({ modules: ['02_two'] });
  const plain = recordModule(chain, stale, '01_one');
  const ifNew = recordModule(chain, stale, '01_one', { ifNew: true });
  assert.equal(ids(ifNew.newlyUnlocked), ['a', 'b']);
  assert.equal(lists(ifNew.progress), lists(plain.progress));
});

test('a module the catalog does not list is recorded and unlocks nothing', () => {
  const chain = chainCatalog();
  const change = recordModule(chain, progress(), '99_extra');
  assert.equal(ids(change.newlyUnlocked), []);
  assert.equal(change.progress.completedModules, ['99_extra']);
});

test('recording does not mutate the progress it was given', () => {
  const chain = chainCatalog();
  const before = progress({ modules: ['02_two'] });
  const snapshot = JSON.stringify(lists(before));
  recordModule(chain, before, '01_one');
  unlockReady(chain, before);
  completeMilestone(before, 'a');
  resetModule(chain, before, '02_two');
  assert.is(JSON.stringify(lists(before)), snapshot);
});

test('unlockReady alone unlocks what the modules already allow and nothing twice', () => {
  const chain = chainCatalog();
  const first = unlockReady(chain, progress({ modules: ['01_one', '02_two'], unlocked: ['b'] }));
  assert.equal(ids(first.newlyUnlocked), ['a']);
  assert.equal(first.progress.unlockedMilestones, ['b', 'a']);
  assert.equal(ids(unlockReady(chain, first.progress).newlyUnlocked), []);
});

test('recordModules records the new ones once, in order, then re-checks once', () => {
  const chain = chainCatalog();
  const change = recordModules(chain, progress({ modules: ['02_two'] }), ['03_three', '01_one', '02_two', '03_three', '99_extra']);
  assert.equal(change.recorded, ['03_three', '01_one', '99_extra']);
  assert.equal(change.progress.completedModules, ['02_two', '03_three', '01_one', '99_extra']);
  assert.equal(ids(change.newlyUnlocked), ['a', 'b', 'c']);
  const none = recordModules(chain, change.progress, ['01_one']);
  assert.equal(none.recorded, []);
  assert.equal(ids(none.newlyUnlocked), []);
  assert.ok(sameProgress(change.progress, none.progress));
});

// ---- unknown ids and completed-but-not-unlocked ----

test('milestone ids the catalog does not know are kept in the lists but ignored by the rules', () => {
  const chain = chainCatalog();
  const before = progress({ modules: ['01_one'], unlocked: ['ghost'], completed: ['phantom'], extra: { last_completed: '01' } });
  const change = recordModule(chain, before, '02_two');
  assert.equal(lists(change.progress), {
    completed_modules: ['01_one', '02_two'],
    unlocked_milestones: ['ghost', 'a', 'b'],
    completed_milestones: ['phantom'],
  });
  assert.equal(change.progress.members.find((member) => member.key === 'last_completed')?.valueText, '"01"', 'unknown keys ride along');
  const view = progressView(chain, change.progress);
  assert.equal(ids(view.milestones), ['a', 'b', 'c', 'd']);
  assert.equal(ids(unlockedNotCompleted(chain, change.progress)), ['a', 'b']);
  assert.equal(ids(transitions(chain, before, change.progress).unlocked), ['a', 'b']);
  assert.equal(ids(transitions(chain, progress(), change.progress).completed), [], 'an unknown completed id is not announced');
});

test('a milestone completed but not unlocked reads as completed, cannot run, and still unlocks when ready', () => {
  const chain = chainCatalog();
  const before = progress({ modules: ['01_one'], unlocked: ['a'], completed: ['b'] });
  assert.is(milestoneStatus(before, 'b'), 'completed');
  assert.not.ok(canRun(before, 'b'));
  assert.equal(progressView(chain, before).next?.id, 'b', 'next is the first milestone that is not unlocked, completed or not');
  const change = recordModule(chain, before, '02_two');
  assert.equal(ids(change.newlyUnlocked), ['b']);
  assert.ok(canRun(change.progress, 'b'));
  assert.equal(ids(unlockedNotCompleted(chain, change.progress)), ['a'], 'completed milestones are not listed as tests');
});

test('completeMilestone records once and does not require an unlock', () => {
  const first = completeMilestone(progress(), 'c');
  assert.ok(first.newlyCompleted);
  assert.equal(lists(first.progress), { completed_modules: [], unlocked_milestones: [], completed_milestones: ['c'] });
  const again = completeMilestone(first.progress, 'c');
  assert.not.ok(again.newlyCompleted);
  assert.ok(sameProgress(first.progress, again.progress));
  const second = completeMilestone(again.progress, 'a');
  assert.equal(second.progress.completedMilestones, ['c', 'a'], 'insertion order');
});

test('canRun is membership of unlocked_milestones, as the original', () => {
  const state = progress({ unlocked: ['a', 'ghost'], completed: ['b'] });
  assert.ok(canRun(state, 'a'));
  assert.ok(canRun(state, 'ghost'));
  assert.not.ok(canRun(state, 'b'));
  assert.not.ok(canRun(state, 'c'));
});

// ---- the progress view ----

test('progressView gives status, met/n and missing per milestone, in catalog order', () => {
  const chain = chainCatalog();
  const view = progressView(chain, progress({ modules: ['03_three', '01_one'], unlocked: ['a'], completed: ['a'] }));
  const rows = view.milestones.map((row) => [row.id, row.status, `${row.met}/${row.requires.length}`, row.missing]);
  assert.equal(rows, [
    ['a', 'completed', '1/1', []],
    ['b', 'locked', '1/2', ['02_two']],
    ['c', 'locked', '2/3', ['02_two']],
    ['d', 'locked', '0/2', ['02_two', '04_four']],
  ]);
  assert.equal(view.milestones[2]?.requires, ['01_one', '02_two', '03_three']);
  assert.is(view.milestones[1]?.name, 'Milestone b');
  assert.is(view.milestones[1]?.description, 'What b shows');
  assert.equal(view.completedModules, ['03_three', '01_one']);
});

test('next is the first milestone not unlocked, with its missing modules in requirement order', () => {
  const chain = chainCatalog();
  assert.equal(progressView(chain, progress()).next, { id: 'a', name: 'Milestone a', missing: ['01_one'] });
  assert.equal(progressView(chain, progress({ modules: ['01_one', '03_three'], unlocked: ['a', 'c'] })).next, {
    id: 'b',
    name: 'Milestone b',
    missing: ['02_two'],
  });
  const ready = progress({ modules: ['01_one', '02_two'], unlocked: ['a'] });
  assert.equal(progressView(chain, ready).next, { id: 'b', name: 'Milestone b', missing: [] }, 'ready but not yet unlocked is still next');
});

test('next is null when every milestone is unlocked', () => {
  const chain = chainCatalog();
  const all = recordModule(chain, progress({ modules: ['01_one', '02_two', '03_three'] }), '04_four').progress;
  assert.is(progressView(chain, all).next, null);
  assert.is(progressView(chain, progress({ unlocked: ['d', 'c', 'b', 'a'] })).next, null);
});

test('unlockedNotCompleted lists in unlock order, once each, without completed or unknown ids', () => {
  const chain = chainCatalog();
  const state = progress({ unlocked: ['c', 'ghost', 'a', 'b', 'c'], completed: ['a'] });
  assert.equal(ids(unlockedNotCompleted(chain, state)), ['c', 'b']);
  assert.equal(ids(unlockedNotCompleted(chain, progress())), []);
});

// ---- resetModule ----

test('resetModule un-completes a module and re-locks the milestones that need it and are not completed', () => {
  const chain = chainCatalog();
  const before = progress({ modules: ['01_one', '02_two', '03_three'], unlocked: ['a', 'b', 'c'], completed: ['a'] });
  const reset = resetModule(chain, before, '01_one');
  assert.ok(reset.wasCompleted);
  assert.equal(reset.relocked, ['b', 'c']);
  assert.equal(lists(reset.progress), { completed_modules: ['02_two', '03_three'], unlocked_milestones: ['a'], completed_milestones: ['a'] });
  const again = recordModule(chain, reset.progress, '01_one');
  assert.equal(ids(again.newlyUnlocked), ['b', 'c'], 'exporting it again unlocks them again');
});

test('resetModule of a module that was not completed changes nothing', () => {
  const chain = chainCatalog();
  const before = progress({ modules: ['01_one'], unlocked: ['a'] });
  const reset = resetModule(chain, before, '03_three');
  assert.not.ok(reset.wasCompleted);
  assert.equal(reset.relocked, []);
  assert.ok(sameProgress(before, reset.progress));
});

test('resetModule keeps unknown ids and other modules in order', () => {
  const chain = chainCatalog();
  const before = progress({ modules: ['04_four', '02_two', '99_extra'], unlocked: ['ghost', 'd'], completed: ['phantom'] });
  const reset = resetModule(chain, before, '02_two');
  assert.equal(reset.relocked, ['d']);
  assert.equal(lists(reset.progress), { completed_modules: ['04_four', '99_extra'], unlocked_milestones: ['ghost'], completed_milestones: ['phantom'] });
});

test('resetModule re-locks a milestone unlocked without its module (a hand-edited file)', () => {
  const chain = chainCatalog();
  const reset = resetModule(chain, progress({ unlocked: ['a'] }), '01_one');
  assert.not.ok(reset.wasCompleted);
  assert.equal(reset.relocked, ['a']);
  assert.equal(reset.progress.unlockedMilestones, []);
});

// ---- transitions ----

test('transitions name what became unlocked or completed, in catalog order, once each', () => {
  const chain = chainCatalog();
  const before = progress({ unlocked: ['a'] });
  const after = progress({ unlocked: ['a', 'd', 'b', 'ghost'], completed: ['c', 'a', 'phantom'] });
  const change = transitions(chain, before, after);
  assert.equal(ids(change.unlocked), ['b', 'd']);
  assert.equal(ids(change.completed), ['a', 'c']);
  assert.equal(ids(transitions(chain, after, after).unlocked), []);
  assert.equal(ids(transitions(chain, after, after).completed), []);
});

test('transitions ignore what went away (a reset is not an unlock)', () => {
  const chain = chainCatalog();
  const change = transitions(chain, progress({ unlocked: ['a', 'b'], completed: ['a'] }), progress({ unlocked: ['a'] }));
  assert.equal(ids(change.unlocked), []);
  assert.equal(ids(change.completed), []);
});

// ---- catalog validation ----

test('the built-in catalogs are valid', () => {
  for (const name of ['seed', 'tinytorch'] as const) {
    const check = checkCatalog(BUILTIN_CATALOGS[name], `builtin:${name}`);
    assert.ok(check.ok, `${name}: ${check.ok ? '' : check.problems.join('; ')}`);
  }
  const seed = builtinCatalog('seed');
  assert.is(seed.source, 'builtin:seed');
  assert.equal(ids(seed.milestones), ['perceptron', 'xor', 'mlp_digits', 'cnn', 'transformer']);
  assert.equal(seed.moduleIds, ['00_setup', '01_tensor', '02_autograd', '03_nn', '04_training', '07_spatial', '11_embeddings', '12_attention']);
  const tinytorch = builtinCatalog('tinytorch');
  assert.is(tinytorch.source, 'builtin:tinytorch');
  assert.equal(ids(tinytorch.milestones), ['01', '02', '03', '04', '05', '06']);
  assert.is(tinytorch.moduleIds.length, 20);
  assert.is(tinytorch.milestone('03')?.requires.length, 7);
  assert.is(tinytorch.milestone('nope'), undefined);
});

test('a valid catalog without modules derives them from requires, in first-seen order', () => {
  const derived = catalog([milestone('x', ['02_two', '01_one']), milestone('y', ['03_three', '01_one'])]);
  assert.equal(derived.moduleIds, ['02_two', '01_one', '03_three']);
  assert.is(derived.honestReturns, false);
  assert.is(derived.milestone('y')?.id, 'y');
});

test('duplicate milestone ids are named', () => {
  const problems = problemsOf(rawCatalog({ milestones: [milestone('a', ['01_one']), milestone('b', ['01_one']), milestone('a', ['01_one'])] }));
  assertProblem(problems, /^milestones\.2\.id: duplicate milestone id "a"$/);
});

test('duplicate module ids are named', () => {
  const problems = problemsOf(rawCatalog({ modules: ['01_one', '02_two', '01_one'], milestones: [milestone('a', ['01_one'])] }));
  assertProblem(problems, /^modules\.2\.id: duplicate module id "01_one"$/);
});

test('an empty requires is named', () => {
  const problems = problemsOf(rawCatalog({ milestones: [milestone('a', ['01_one']), milestone('b', [])] }));
  assertProblem(problems, /^milestones\.1\.requires: .*at least one module/);
});

test('malformed module names are named, in requires and in modules', () => {
  const problems = problemsOf(rawCatalog({ modules: ['01_one', '1_bad'], milestones: [milestone('a', ['01_one', '01_Tensor']), milestone('b', ['../x'])] }));
  assertProblem(problems, /^milestones\.0\.requires\.1: .*"01_Tensor"/);
  assertProblem(problems, /^milestones\.1\.requires\.0: .*"\.\.\/x"/);
  assertProblem(problems, /^modules\.1\.id: .*"1_bad"/);
});

test('a required module missing from the modules list is named', () => {
  const problems = problemsOf(rawCatalog({ modules: ['01_one'], milestones: [milestone('a', ['01_one', '05_five'])] }));
  assertProblem(problems, /^milestones\.0\.requires\.1: "05_five" is not one of the catalog's modules$/);
});

test('a malformed file names every problem, each with where it is', () => {
  const broken = {
    name: '',
    honestReturns: 'yes',
    milestones: [
      { id: 'a b', name: 'A', description: 'd', unlockMessage: 'u', requires: [], verify: {} },
      { id: 'ok', name: 'B', description: 'd', unlockMessage: 'u', requires: ['01_one'], verify: { scripts: [] } },
      { id: 'ok', description: 'd', unlockMessage: 'u', requires: ['xx'], verify: { pytest: 't.py::t' } },
    ],
  };
  const problems = problemsOf(broken);
  for (const pattern of [
    /^name: /,
    /^honestReturns: /,
    /^milestones\.0\.id: .*"a b"/,
    /^milestones\.0\.requires: /,
    /^milestones\.0\.verify/,
    /^milestones\.1\.verify/,
    /^milestones\.2\.name: /,
    /^milestones\.2\.requires\.0: .*"xx"/,
    /^milestones\.2\.id: duplicate milestone id "ok"$/,
  ]) {
    assertProblem(problems, pattern);
  }
});

test('values that are not a catalog at all are rejected with a readable problem', () => {
  for (const value of [null, 'seed', 42, [], {}, { name: 'x' }, { name: 'x', milestones: [] }]) {
    const problems = problemsOf(value);
    assert.ok(problems.length > 0);
    for (const problem of problems) assert.match(problem, /^[\w.() ]+: \S/, `a problem names where it is: ${problem}`);
  }
  assertProblem(problemsOf({ name: 'x', milestones: [] }), /^milestones: a catalog needs at least one milestone$/);
});

// ---- module names ----

test('a bare number resolves through the catalog module list', () => {
  const tinytorch = builtinCatalog('tinytorch');
  assert.equal(resolveModule(tinytorch, '1'), { ok: true, module: '01_tensor' });
  assert.equal(resolveModule(tinytorch, '01'), { ok: true, module: '01_tensor' });
  assert.equal(resolveModule(tinytorch, '13'), { ok: true, module: '13_transformers' });
  assert.equal(resolveModule(builtinCatalog('seed'), '0'), { ok: true, module: '00_setup' });
  assert.equal(resolveModule(builtinCatalog('seed'), '2'), { ok: true, module: '02_autograd' });
});

test('a canonical name passes as given, listed in the catalog or not', () => {
  const tinytorch = builtinCatalog('tinytorch');
  assert.equal(resolveModule(tinytorch, '01_tensor'), { ok: true, module: '01_tensor' });
  assert.equal(resolveModule(tinytorch, '05_extra'), { ok: true, module: '05_extra' });
  assert.equal(resolveModule(tinytorch, `01_${'a'.repeat(64)}`), { ok: true, module: `01_${'a'.repeat(64)}` });
});

test('a number no module has is refused, naming the catalog and its modules', () => {
  const seed = builtinCatalog('seed');
  const result = resolveModule(seed, '5');
  assert.not.ok(result.ok);
  if (!result.ok) {
    assert.match(result.message, /"5" matches no module of the seed catalog/);
    assert.match(result.message, /00_setup, 01_tensor/);
    assert.match(result.message, /01_tensor/);
  }
  assert.not.ok(resolveModule(builtinCatalog('tinytorch'), '21').ok);
  assert.not.ok(resolveModule(builtinCatalog('tinytorch'), '0').ok);
});

test('a number two modules share is ambiguous, naming both', () => {
  const twins = catalog([milestone('a', ['01_one'])], { modules: ['01_one', '01_uno', '02_two'] });
  const result = resolveModule(twins, '1');
  assert.not.ok(result.ok);
  if (!result.ok) {
    assert.match(result.message, /ambiguous/);
    assert.match(result.message, /01_one, 01_uno/);
  }
  assert.equal(resolveModule(twins, '2'), { ok: true, module: '02_two' });
});

test('anything else is refused with the expected form', () => {
  const tinytorch = builtinCatalog('tinytorch');
  for (const ref of ['../x', '', ' 1', '001', '1a', '01_Tensor', '01-tensor', '01_', '1_tensor', '01_tensor/../x', `01_${'a'.repeat(65)}`]) {
    const result = resolveModule(tinytorch, ref);
    assert.not.ok(result.ok, `expected ${JSON.stringify(ref)} to be refused`);
    if (!result.ok) assert.match(result.message, /"01_tensor"/, `the message for ${JSON.stringify(ref)} shows the expected form`);
  }
  const long = resolveModule(tinytorch, 'x'.repeat(10_000));
  assert.not.ok(long.ok);
  if (!long.ok) assert.ok(long.message.length < 300, 'a huge value is not echoed whole');
});

test.run();
