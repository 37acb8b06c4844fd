// The VS Code extension's pure parts (clients/vscode/src): its wire names against protocol/, the timeline's layout
// and page, and the unlock/completion dates it keeps. The extension itself runs in test/editors/vscode/run.mjs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CompletedNotification,
  type MilestoneProgress,
  ProgressRequest,
  type ProgressResult,
  RescanRequest,
  RunOutputNotification,
  RunRequest,
  UnlockedNotification,
} from '../../protocol/index.js';
import { DateStore, type Memento, mergeDates, readTitoDates } from '../../clients/vscode/src/core/dates.js';
import { MilestonesModel } from '../../clients/vscode/src/core/model.js';
import { layout, milestoneYear, renderTimeline } from '../../clients/vscode/src/core/timeline-html.js';
import { METHODS } from '../../clients/vscode/src/core/wire.js';

const milestone = (id: string, name: string, status: MilestoneProgress['status'], requires = ['01_tensor'], met = 1): MilestoneProgress => ({
  id,
  name,
  description: `${name} description`,
  status,
  requires,
  met,
  missing: requires.slice(met),
});

const progress = (milestones: MilestoneProgress[], next: string | null = null): ProgressResult => ({
  catalog: 'tinytorch',
  milestones,
  completedModules: ['01_tensor'],
  next: next ? { id: next, name: next, missing: [] } : null,
  text: '',
});

class MemoryMemento implements Memento {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, structuredClone(value));
  }
}

test('the extension uses the method names that protocol/ declares', () => {
  assert.equal(METHODS, {
    progress: ProgressRequest.method,
    run: RunRequest.method,
    rescan: RescanRequest.method,
    unlocked: UnlockedNotification.method,
    completed: CompletedNotification.method,
    runOutput: RunOutputNotification.method,
  });
});

test("a milestone's year comes from its name in either catalog's style", () => {
  assert.is(milestoneYear({ name: '1957 - The Perceptron', description: '' }), 1957);
  assert.is(milestoneYear({ name: 'MLPerf Benchmarks (2018)', description: '' }), 2018);
  assert.is(milestoneYear({ name: 'Attention', description: 'as in 2017' }), 2017);
  assert.is(milestoneYear({ name: 'Something', description: 'no year' }), undefined);
});

test('the timeline places milestones by year on 1957 -> 2018, alternating label rows, the next one marked', () => {
  const points = layout(
    progress([milestone('01', 'Perceptron (1957)', 'completed'), milestone('02', 'XOR Crisis (1969)', 'unlocked'), milestone('06', 'MLPerf Benchmarks (2018)', 'locked')], '06'),
    {},
  );
  const [first, second, last] = points;
  assert.ok(first && second && last);
  assert.ok(first.x < second.x && second.x < last.x);
  assert.ok(Math.abs((second.x - first.x) / (last.x - first.x) - 12 / 61) < 1e-9, 'x is proportional to the year');
  assert.equal(
    points.map((p) => p.tier),
    [-1, 1, -2],
  );
  assert.equal(
    points.map((p) => p.isNext),
    [false, false, true],
  );
});

test('the timeline shows a date only where it matches the status', () => {
  const dates = {
    '01': { unlocked: '2026-01-02T10:00:00.000Z', completed: '2026-01-05T10:00:00.000Z' },
    '02': { unlocked: '2026-01-03T10:00:00.000Z' },
    '06': { unlocked: '2026-01-04T10:00:00.000Z' },
  };
  const points = layout(
    progress([milestone('01', 'Perceptron (1957)', 'completed'), milestone('02', 'XOR (1969)', 'unlocked'), milestone('06', 'MLPerf (2018)', 'locked')]),
    dates,
  );
  assert.match(points[0]?.date ?? '', /^completed /);
  assert.match(points[1]?.date ?? '', /^unlocked /);
  assert.is(points[2]?.date, undefined, 'a re-locked milestone shows no stale date');
});

test('the timeline page colours by status, escapes names and allows no script', () => {
  const html = renderTimeline(
    progress([milestone('01', '<b>Perceptron</b> (1957)', 'completed'), milestone('02', 'XOR (1969)', 'locked', ['01_tensor', '02_activations'], 1)], '02'),
    {},
    'vscode-resource:',
  );
  assert.match(html, /data-id="01" data-status="completed" data-year="1957"/);
  assert.match(html, /class="milestone locked next" data-id="02"/);
  assert.match(html, /1\/2 modules, missing 02_activations/);
  assert.ok(!html.includes('<b>Perceptron'), 'names are escaped');
  assert.match(html, /default-src 'none'/);
  assert.not.match(html, /<script/);
});

test('dates: the first unlock and completion are kept, per scope; a completion implies an unlock; forget drops them', async () => {
  const memento = new MemoryMemento();
  let scope = 'seed|a';
  const store = new DateStore(memento, () => scope);
  await store.record('perceptron', 'completed', new Date('2026-01-05T00:00:00Z'));
  await store.record('perceptron', 'completed', new Date('2026-02-01T00:00:00Z'));
  assert.equal(store.all(), { perceptron: { completed: '2026-01-05T00:00:00.000Z', unlocked: '2026-01-05T00:00:00.000Z' } });
  scope = 'seed|b';
  assert.equal(store.all(), {});
  scope = 'seed|a';
  await store.forget(['perceptron']);
  assert.equal(store.all(), {});
});

test("dates: tito's .tito/milestones.json dates are read, ours win, and a bad file is no dates", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vscode-dates-'));
  try {
    assert.equal(await readTitoDates(dir), {});
    mkdirSync(join(dir, '.tito'));
    writeFileSync(
      join(dir, '.tito', 'milestones.json'),
      '{"completed_milestones": ["01"], "completion_dates": {"01": "2026-03-01T12:00:00", "02": 5}, "unlock_dates": {"01": "2026-02-27T09:00:00"}}',
    );
    const tito = await readTitoDates(dir);
    assert.equal(Object.keys(tito), ['01']);
    assert.ok(tito['01']?.completed && tito['01']?.unlocked);
    assert.equal(mergeDates({ '01': { completed: 'ours' } }, tito)['01'], { unlocked: tito['01']?.unlocked, completed: 'ours' });
    writeFileSync(join(dir, '.tito', 'milestones.json'), '{half');
    assert.equal(await readTitoDates(dir), {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('model: refreshes asked for during a request fold into one more, and a re-locked milestone loses its dates', async () => {
  const memento = new MemoryMemento();
  const dates = new DateStore(memento, () => 'seed|default');
  await dates.record('perceptron', 'completed', new Date('2026-01-05T00:00:00Z'));
  const answers = [
    progress([milestone('perceptron', '1957 - The Perceptron', 'completed')]),
    progress([milestone('perceptron', '1957 - The Perceptron', 'locked', ['01_tensor', '02_autograd'])]),
  ];
  let calls = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const model = new MilestonesModel(
    async () => {
      const answer = answers[Math.min(calls, answers.length - 1)];
      calls++;
      if (calls === 1) await gate;
      return answer as ProgressResult;
    },
    dates,
    async () => ({}),
  );
  const seen: string[] = [];
  model.onDidChange((snapshot) => seen.push(snapshot.progress.milestones[0]?.status ?? '?'));
  const first = model.refresh();
  void model.refresh();
  void model.refresh();
  release();
  await first;
  assert.is(calls, 2, 'three refreshes, two requests');
  assert.equal(seen, ['completed', 'locked']);
  assert.equal(model.snapshot?.dates, {}, 'the reset milestone shows no stale date');
  assert.equal(dates.all(), {});
});

test.run();
