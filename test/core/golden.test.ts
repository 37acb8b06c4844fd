// Replays every recorded case of the original tracker through the pure rules and through the real file store.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFileStore } from '../../src/adapters/store.js';
import { builtinCatalog } from '../../src/core/catalog.js';
import { unlockMessage } from '../../src/core/messages.js';
import { EMPTY_PROGRESS, parseProgress, sameProgress, serializeProgress, type Progress } from '../../src/core/progress.js';
import { canRun, completeMilestone, recordModule } from '../../src/core/rules.js';
import type { CatalogMilestone } from '../../protocol/index.js';
import type { Logger } from '../../src/ports.js';

type ProgressFile = Record<string, unknown> & { completed_modules: string[]; unlocked_milestones: string[]; completed_milestones: string[] };
type Op = ['check_module_export' | 'mark_module_complete' | 'mark_milestone_complete' | 'can_run_milestone', string];
interface MessageShape {
  title: string;
  name: string;
  run: string;
  lines: number;
}
type Returns = boolean | { newly_unlocked: string[]; messages: MessageShape[] };
interface Expect {
  returns?: Returns;
  progress_file: ProgressFile | null;
}
interface GoldenCase {
  initial_progress_file: ProgressFile | null;
  ops: Op[];
  expect: Expect[];
}
interface Golden {
  message_format: string;
  catalog: { order: string[]; milestones: Record<string, { name: string; requires: string[]; test: string }> };
  cases: GoldenCase[];
}

const here = dirname(fileURLToPath(import.meta.url));
const GOLDEN_PATH = join(here, '../fixtures/golden/original-tracker.json');
const golden = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as Golden;
const seed = builtinCatalog('seed');
const silent: Logger = { info() {}, warn() {}, error() {} };
const folders: string[] = [];

/** One op's outcome, in the original's terms: what it returned (undefined for None). */
type Outcome = { progress: Progress; returns: Returns | undefined };

function shapeOf(message: string): MessageShape {
  const lines = message.split('\n');
  return { title: lines[0] ?? '', name: lines[2] ?? '', run: lines[lines.length - 1] ?? '', lines: lines.length };
}

function checkExportReturns(newlyUnlocked: readonly CatalogMilestone[]): Returns {
  return { newly_unlocked: newlyUnlocked.map((milestone) => milestone.id), messages: newlyUnlocked.map((milestone) => shapeOf(unlockMessage(milestone))) };
}

/** The op through the pure rules, as the handlers compose them. */
function applyPure(current: Progress, [op, arg]: Op): Outcome {
  switch (op) {
    case 'check_module_export': {
      const change = recordModule(seed, current, arg);
      return { progress: change.progress, returns: checkExportReturns(change.newlyUnlocked) };
    }
    case 'mark_module_complete':
      return { progress: recordModule(seed, current, arg, { ifNew: true }).progress, returns: undefined };
    case 'mark_milestone_complete':
      return { progress: completeMilestone(current, arg).progress, returns: undefined };
    case 'can_run_milestone':
      return { progress: current, returns: canRun(current, arg) };
  }
}

/** The op through the real store, as the handlers do it: update for changes, read for questions. */
async function applyStored(store: ReturnType<typeof createFileStore>, [op, arg]: Op): Promise<Returns | undefined> {
  switch (op) {
    case 'check_module_export': {
      const change = await store.update((current) => {
        const { progress, newlyUnlocked } = recordModule(seed, current, arg);
        return { progress, value: newlyUnlocked };
      });
      return checkExportReturns(change.value);
    }
    case 'mark_module_complete':
      await store.update((current) => ({ progress: recordModule(seed, current, arg, { ifNew: true }).progress, value: null }));
      return undefined;
    case 'mark_milestone_complete':
      await store.update((current) => ({ progress: completeMilestone(current, arg).progress, value: null }));
      return undefined;
    case 'can_run_milestone':
      return canRun(await store.read(), arg);
  }
}

function fromFile(file: ProgressFile | null): Progress {
  if (file === null) return EMPTY_PROGRESS;
  const parsed = parseProgress(JSON.stringify(file));
  if (!parsed.ok) throw new Error(`golden initial file does not parse: ${parsed.reason}`);
  return parsed.progress;
}

const label = (index: number, step: number, op: Op) => `case ${index}, op ${step} ${op[0]}(${JSON.stringify(op[1])})`;

test.after(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

test('the golden file is what this test expects: every op kind, one expect per op', () => {
  assert.ok(golden.cases.length > 0);
  const kinds = new Set<string>();
  golden.cases.forEach((goldenCase, index) => {
    assert.is(goldenCase.expect.length, goldenCase.ops.length, `case ${index}`);
    for (const [op] of goldenCase.ops) kinds.add(op);
  });
  assert.equal([...kinds].sort(), ['can_run_milestone', 'check_module_export', 'mark_milestone_complete', 'mark_module_complete']);
});

test('the seed catalog matches the recorded catalog: order, names and requires', () => {
  assert.equal(
    seed.milestones.map((milestone) => milestone.id),
    golden.catalog.order,
  );
  for (const milestone of seed.milestones) {
    const recorded = golden.catalog.milestones[milestone.id];
    assert.ok(recorded, milestone.id);
    assert.is(milestone.name, recorded?.name);
    assert.equal(milestone.requires, recorded?.requires);
    assert.equal(milestone.verify, { pytest: `tests/milestones/test_learning_verification.py::${recorded?.test}` });
  }
});

test('unlock messages are the recorded format, to the byte, for every seed milestone', () => {
  // The recording writes the format with escaped newlines; turn "\n" back into line breaks.
  const format = golden.message_format.replace(/\\n/g, '\n');
  assert.ok(format.split('\n').length === 8, 'the format has eight lines');
  for (const milestone of seed.milestones) {
    const expected = format
      .replace('{name}', milestone.name)
      .replace('{description}', milestone.description)
      .replace('{unlock_message}', milestone.unlockMessage)
      .replace('{id}', milestone.id);
    assert.is(unlockMessage(milestone), expected, milestone.id);
  }
  const perceptron = seed.milestone('perceptron');
  assert.is(
    perceptron && unlockMessage(perceptron),
    '🔓 MILESTONE UNLOCKED!\n\n1957 - The Perceptron\nFirst learning algorithm with automatic weight updates\n\n🎉 You can now verify that gradient descent actually works!\n\nRun: tito milestones run perceptron',
  );
});

test('every case, through the pure rules: the same returns and the same file after each op', () => {
  let ops = 0;
  golden.cases.forEach((goldenCase, index) => {
    let current = fromFile(goldenCase.initial_progress_file);
    let fileExists = goldenCase.initial_progress_file !== null;
    goldenCase.ops.forEach((op, step) => {
      const expected = goldenCase.expect[step] as Expect;
      const where = label(index, step, op);
      const outcome = applyPure(current, op);
      assert.equal(outcome.returns, expected.returns, `${where}: returns`);
      // The file is written when a change happens, never by a read, as the store does.
      if (!sameProgress(current, outcome.progress)) fileExists = true;
      current = outcome.progress;
      if (expected.progress_file === null) {
        assert.not.ok(fileExists, `${where}: the original has no file yet`);
      } else {
        assert.ok(fileExists, `${where}: the original has written its file`);
        assert.equal(JSON.parse(serializeProgress(current)), expected.progress_file, `${where}: progress file`);
      }
      ops++;
    });
  });
  assert.ok(ops > 0);
});

test('every case, through the real file store: the same returns and the same file on disk after each op', async () => {
  const root = await mkdtemp(join(tmpdir(), 'golden-store-'));
  folders.push(root);
  let ops = 0;
  for (const [index, goldenCase] of golden.cases.entries()) {
    // A fresh HOME per case, as recorded; the folder does not exist until something is written.
    const path = join(root, `case-${index}`, '.tinytorch', 'progress.json');
    if (goldenCase.initial_progress_file !== null) {
      await mkdir(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify(goldenCase.initial_progress_file, null, 2));
    }
    const store = createFileStore({ path, logger: silent });
    for (const [step, op] of goldenCase.ops.entries()) {
      const expected = goldenCase.expect[step] as Expect;
      const where = label(index, step, op);
      const returns = await applyStored(store, op);
      assert.equal(returns, expected.returns, `${where}: returns`);
      if (expected.progress_file === null) {
        assert.not.ok(existsSync(path), `${where}: no file yet, as the original`);
      } else {
        assert.ok(existsSync(path), `${where}: the file exists`);
        assert.equal(JSON.parse(readFileSync(path, 'utf8')), expected.progress_file, `${where}: progress file on disk`);
      }
      ops++;
    }
  }
  assert.ok(ops > 0);
});

test.run();
