// The Runner adapter against a real fixture workspace: pytest and script milestones, timeouts, cancels, no survivors.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CatalogMilestone } from '../../protocol/index.js';
import type { RunJob, RunOutcome } from '../../src/ports.js';
import { createRunner, pytestPluginDir } from '../../src/adapters/runner.js';
import { stripAnsi } from '../../src/adapters/run-output.js';
import { isAlive, isGoneWithin } from '../helpers/process.js';
import { scaled } from '../helpers/time.js';
import { withTimeout } from '../helpers/timeout.js';

const FIXTURES: Record<string, string> = {
  'tests/test_milestones.py': `
import os, signal, subprocess, time

def test_pass():
    print("checking the pass")
    assert 1 + 1 == 2

def test_fail():
    assert 1 + 1 == 3, "arithmetic is broken"

def test_returns_false():
    return False

def test_returns_true():
    return True

def test_sleeps_forever():
    time.sleep(3600)

def test_ignores_sigterm():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    open("ignoring.ready", "w").close()
    time.sleep(3600)

def _spawn_sleeper():
    sleeper = subprocess.Popen(["sleep", "300"])
    with open("grandchild.pid.tmp", "w") as file:
        file.write(str(sleeper.pid))
    os.replace("grandchild.pid.tmp", "grandchild.pid")

def test_spawns_grandchild():
    _spawn_sleeper()
    time.sleep(3600)

def test_leaves_grandchild_behind():
    _spawn_sleeper()

def test_skips():
    import pytest
    pytest.skip("no GPU here")

def test_exits_early():
    os._exit(0)

import pytest

@pytest.mark.xfail(reason="known to fail")
def test_xfail_fails():
    assert False

@pytest.mark.xfail(reason="expected to fail")
def test_xfail_passes():
    return True

@pytest.fixture
def exits_in_teardown():
    yield
    os._exit(0)

def test_exits_in_teardown(exits_in_teardown):
    return True

@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n == 1
`,
  'tests/test_broken_import.py': `
import module_that_does_not_exist

def test_anything():
    pass
`,
  'scripts/count.py': `
import sys
for number in range(1, 201):
    print(f"line {number}")
print("a warning", file=sys.stderr)
sys.stdout.write("no newline at the end")
`,
  'scripts/spawns_grandchild.py': `
import os, subprocess, time
sleeper = subprocess.Popen(["sleep", "300"])
with open("grandchild.pid.tmp", "w") as file:
    file.write(str(sleeper.pid))
os.replace("grandchild.pid.tmp", "grandchild.pid")
time.sleep(3600)
`,
  'scripts/spawns_setsid_grandchild.py': `
import os, subprocess, time
# A grandchild that leaves the run's process group, as a daemon does.
sleeper = subprocess.Popen(["sleep", "300"], start_new_session=True)
with open("grandchild.pid.tmp", "w") as file:
    file.write(str(sleeper.pid))
os.replace("grandchild.pid.tmp", "grandchild.pid")
time.sleep(3600)
`,
  'scripts/second.py': `print("second script ran")\n`,
  'scripts/exit_three.py': `print("about to fail")\nraise SystemExit(3)\n`,
  'scripts/asks_twice.py': `
first = input("Continue? [y/N] ")
second = input("Press Enter ")
print(f"answers: {first!r} {second!r}")
raise SystemExit(0 if (first, second) == ("y", "") else 4)
`,
  'scripts/progress_bar.py': `
import sys
for step in range(400000):
    sys.stdout.write(f"\\rtraining {step:06d}/400000 loss=0.1234 [{'#' * (step % 20)}]")
sys.stdout.write("\\ndone\\n")
`,
  'scripts/lots.py': `
for number in range(20000):
    print(f"{number:05d} héllo 🔥 " + "x" * 40)
print("THE END")
`,
};

const workspace = mkdtempSync(join(tmpdir(), 'runner-test-'));
let python = 'python3';
const grandchildren: number[] = [];
const runner = createRunner({ graceMs: 500 });

test.before(() => {
  for (const [path, text] of Object.entries(FIXTURES)) {
    mkdirSync(dirname(join(workspace, path)), { recursive: true });
    writeFileSync(join(workspace, path), text);
  }
  python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
});

test.after(() => {
  for (const pid of grandchildren) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(workspace, { recursive: true, force: true });
});

function milestone(verify: CatalogMilestone['verify']): CatalogMilestone {
  return { id: 'fixture', name: 'Fixture', description: 'A fixture milestone.', unlockMessage: 'Go.', requires: ['01_tensor'], verify };
}

interface Run {
  outcome: RunOutcome;
  chunks: Array<{ stream: 'stdout' | 'stderr'; text: string }>;
  elapsedMs: number;
}

async function run(verify: CatalogMilestone['verify'], overrides: Partial<RunJob> = {}): Promise<Run> {
  const chunks: Run['chunks'] = [];
  const started = Date.now();
  const outcome = await withTimeout(
    runner.run({
      milestone: milestone(verify),
      workspace,
      python,
      timeoutMs: 30_000,
      honestReturns: true,
      signal: new AbortController().signal,
      onOutput: (chunk) => chunks.push(chunk),
      ...overrides,
    }),
    20_000,
  );
  // FORCE_COLOR (which uvu sets) makes pytest colour its output: compare plain text.
  return { outcome: { ...outcome, outputTail: stripAnsi(outcome.outputTail) }, chunks, elapsedMs: Date.now() - started };
}

const text = (chunks: Run['chunks'], stream: 'stdout' | 'stderr') =>
  stripAnsi(
    chunks
      .filter((chunk) => chunk.stream === stream)
      .map((chunk) => chunk.text)
      .join(''),
  );
const node = (name: string) => ({ pytest: `tests/test_milestones.py::${name}` });

async function waitFor(condition: () => boolean, unscaledMs: number): Promise<void> {
  const ms = scaled(unscaledMs);
  for (let waited = 0; !condition(); waited += 50) {
    if (waited >= ms) throw new Error(`gave up waiting after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function grandchildPid(): Promise<number> {
  const file = join(workspace, 'grandchild.pid');
  await waitFor(() => existsSync(file), 10_000);
  const pid = Number(readFileSync(file, 'utf8'));
  grandchildren.push(pid);
  return pid;
}

async function gone(pid: number): Promise<boolean> {
  return isGoneWithin(pid, 2000);
}

test('the plugin folder is found from the sources', () => {
  const dir = pytestPluginDir();
  assert.ok(dir !== null && existsSync(join(dir, 'tinytorch_honest_returns.py')), String(dir));
});

test('a passing pytest test passes, with its output streamed', async () => {
  const { outcome, chunks } = await run(node('test_pass'));
  assert.is(outcome.cause, 'passed', outcome.detail);
  assert.is(outcome.passed, true);
  assert.is(outcome.exitCode, 0);
  assert.is(outcome.signal, null);
  assert.is(outcome.detail, 'pytest passed tests/test_milestones.py::test_pass.');
  assert.match(text(chunks, 'stdout'), /test_pass PASSED/);
  assert.match(outcome.outputTail, /1 passed/);
});

test('a failing assert fails with exit code 1', async () => {
  const { outcome } = await run(node('test_fail'));
  assert.equal([outcome.passed, outcome.cause, outcome.exitCode], [false, 'failed', 1]);
  assert.match(outcome.outputTail, /arithmetic is broken/);
  assert.is(outcome.detail, 'pytest tests/test_milestones.py::test_fail failed with exit code 1.');
});

test('a test that returns False fails under honest returns, and says so', async () => {
  const { outcome } = await run(node('test_returns_false'));
  assert.equal([outcome.passed, outcome.cause, outcome.exitCode], [false, 'returned-false', 1]);
  assert.match(outcome.detail, /test_returns_false returned False/);
  assert.match(outcome.outputTail, /test_returns_false returned False \(honest returns\)/);
});

test('without honest returns, a test that returns False passes as plain pytest has it', async () => {
  const { outcome } = await run(node('test_returns_false'), { honestReturns: false });
  assert.equal([outcome.passed, outcome.cause], [true, 'passed']);
  assert.match(outcome.outputTail, /PytestReturnNotNoneWarning/);
});

test('a test that returns True still passes, without the return warning', async () => {
  const { outcome } = await run(node('test_returns_true'));
  assert.equal([outcome.passed, outcome.cause], [true, 'passed']);
  assert.not.match(outcome.outputTail, /PytestReturnNotNoneWarning/);
});

test('a missing test is not collected, in a clear sentence', async () => {
  const { outcome } = await run(node('test_nowhere'));
  assert.equal([outcome.passed, outcome.cause, outcome.exitCode], [false, 'not-collected', 4]);
  assert.match(outcome.detail, /^pytest could not collect tests\/test_milestones\.py::test_nowhere: not found: .*test_nowhere\.$/);
});

test('a test module that fails to import is not collected, naming the error', async () => {
  const { outcome } = await run({ pytest: 'tests/test_broken_import.py::test_anything' });
  assert.equal([outcome.passed, outcome.cause], [false, 'not-collected']);
  assert.ok(outcome.exitCode === 4 || outcome.exitCode === 2, String(outcome.exitCode));
  assert.is(outcome.detail, "pytest could not collect tests/test_broken_import.py::test_anything: ModuleNotFoundError: No module named 'module_that_does_not_exist'.");
});

test('a skipped test fails the run: it did not verify anything (A17)', async () => {
  for (const honestReturns of [true, false]) {
    const { outcome } = await run(node('test_skips'), { honestReturns });
    assert.equal([outcome.passed, outcome.cause, outcome.exitCode], [false, 'skipped', 0], outcome.detail);
    assert.is(outcome.detail, 'tests/test_milestones.py::test_skips was skipped (no GPU here), so it verified nothing: a milestone passes only when its test runs and passes.');
  }
});

test('an xfail test fails the run whether it failed as expected or passed (A17)', async () => {
  const failed = (await run(node('test_xfail_fails'))).outcome;
  assert.equal([failed.passed, failed.cause, failed.exitCode], [false, 'skipped', 0], failed.detail);
  assert.is(
    failed.detail,
    'tests/test_milestones.py::test_xfail_fails is marked xfail (known to fail) and failed as expected: a milestone passes only when its test runs and passes.',
  );
  const passed = (await run(node('test_xfail_passes'))).outcome;
  assert.equal([passed.passed, passed.cause], [false, 'skipped'], passed.detail);
  assert.is(passed.detail, 'tests/test_milestones.py::test_xfail_passes is marked xfail (expected to fail): a milestone passes only when its test runs and passes without it.');
});

test('a test that ends pytest with os._exit(0) fails: no outcome was reported (A17)', async () => {
  for (const name of ['test_exits_early', 'test_exits_in_teardown']) {
    const { outcome } = await run(node(name));
    assert.equal([outcome.passed, outcome.cause, outcome.exitCode], [false, 'no-outcome', 0], outcome.detail);
    assert.is(outcome.detail, `pytest exited with code 0 before reporting the outcome of tests/test_milestones.py::${name} (did the test call os._exit?), so it counts as failed.`);
  }
});

test('a node that selects several tests passes only when every one passes (A17)', async () => {
  const { outcome } = await run(node('test_param'));
  assert.equal([outcome.passed, outcome.cause, outcome.exitCode], [false, 'failed', 1], outcome.detail);
  const one = (await run(node('test_param[1]'))).outcome;
  assert.equal([one.passed, one.cause], [true, 'passed'], one.detail);
});

test('a script or test that resolves outside the workspace is refused and never run (B5)', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'runner-outside-'));
  try {
    writeFileSync(join(outside, 'evil.py'), `open(${JSON.stringify(join(outside, 'ran'))}, "w").close()\n`);
    writeFileSync(join(outside, 'test_evil.py'), `def test_evil():\n    open(${JSON.stringify(join(outside, 'ran'))}, "w").close()\n`);
    symlinkSync(join(outside, 'evil.py'), join(workspace, 'scripts', 'escape.py'));
    symlinkSync(outside, join(workspace, 'tests', 'elsewhere'));
    const cases: Array<[CatalogMilestone['verify'], string]> = [
      [{ scripts: ['scripts/second.py', 'scripts/escape.py'] }, 'scripts/escape.py'],
      [{ scripts: [join(outside, 'evil.py')] }, join(outside, 'evil.py')],
      [{ scripts: [`../${outside.split('/').pop()}/evil.py`] }, `../${outside.split('/').pop()}/evil.py`],
      [{ pytest: 'tests/elsewhere/test_evil.py::test_evil' }, 'tests/elsewhere/test_evil.py'],
    ];
    for (const [verify, path] of cases) {
      const { outcome, chunks } = await run(verify);
      assert.equal([outcome.passed, outcome.cause, outcome.exitCode, chunks.length], [false, 'spawn-failed', null, 0], outcome.detail);
      assert.ok(outcome.detail.startsWith(`Refused to run ${path}: it resolves to `), outcome.detail);
      assert.ok(outcome.detail.endsWith(`, outside the workspace ${workspace}; a catalog runs only what is inside the workspace.`), outcome.detail);
    }
    assert.not.ok(existsSync(join(outside, 'ran')), 'nothing outside the workspace ran');
  } finally {
    rmSync(join(workspace, 'scripts', 'escape.py'), { force: true });
    rmSync(join(workspace, 'tests', 'elsewhere'), { force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('a time limit beyond what a timer holds (over 24.8 days) does not stop the run at once', async () => {
  const { outcome } = await run(node('test_pass'), { timeoutMs: 3_000_000_000 });
  assert.equal([outcome.passed, outcome.cause], [true, 'passed']);
});

test('a test that sleeps forever is stopped at the time limit', async () => {
  const { outcome, elapsedMs } = await run(node('test_sleeps_forever'), { timeoutMs: 2000 });
  assert.equal([outcome.passed, outcome.cause, outcome.exitCode, outcome.signal], [false, 'timeout', null, 'SIGTERM']);
  assert.ok(elapsedMs < scaled(5000), `answered after ${elapsedMs} ms`);
  assert.ok(outcome.durationMs >= 2000, `durationMs ${outcome.durationMs}`);
  assert.is(outcome.detail, 'The run did not finish within 2 s, so it was stopped along with every process it started.');
});

test('a test that ignores SIGTERM is killed after the grace period', async () => {
  const ready = join(workspace, 'ignoring.ready');
  rmSync(ready, { force: true });
  const controller = new AbortController();
  const running = run(node('test_ignores_sigterm'), { signal: controller.signal });
  await waitFor(() => existsSync(ready), 10_000);
  const abortedAt = Date.now();
  controller.abort();
  const { outcome } = await running;
  assert.equal([outcome.cause, outcome.signal], ['cancelled', 'SIGKILL']);
  const answeredAfter = Date.now() - abortedAt;
  assert.ok(answeredAfter >= 500 && answeredAfter < scaled(3000), `answered ${answeredAfter} ms after the cancel`);
});

test('a timeout kills the grandchildren too', async () => {
  rmSync(join(workspace, 'grandchild.pid'), { force: true });
  // A script starts faster than pytest: the limit must fall after the grandchild has started, even on a loaded machine.
  const limit = scaled(3000);
  const running = run({ scripts: ['scripts/spawns_grandchild.py'] }, { timeoutMs: limit });
  const pid = await grandchildPid();
  assert.ok(isAlive(pid));
  const { outcome, elapsedMs } = await running;
  assert.is(outcome.cause, 'timeout');
  assert.ok(elapsedMs < limit + scaled(3000), `answered after ${elapsedMs} ms`);
  assert.ok(await gone(pid), `grandchild ${pid} survived`);
});

test('a cancel kills the whole group and answers at once', async () => {
  rmSync(join(workspace, 'grandchild.pid'), { force: true });
  const controller = new AbortController();
  const running = run(node('test_spawns_grandchild'), { signal: controller.signal });
  const pid = await grandchildPid();
  const abortedAt = Date.now();
  controller.abort();
  const { outcome } = await running;
  assert.equal([outcome.passed, outcome.cause, outcome.exitCode, outcome.signal], [false, 'cancelled', null, 'SIGTERM']);
  assert.ok(Date.now() - abortedAt < scaled(3000), `answered ${Date.now() - abortedAt} ms after the cancel`);
  assert.ok(await gone(pid), `grandchild ${pid} survived`);
});

test('a grandchild that called setsid is killed too, on cancel and on timeout, and the answer says all were stopped (A9)', async () => {
  rmSync(join(workspace, 'grandchild.pid'), { force: true });
  const controller = new AbortController();
  const cancelled = run({ scripts: ['scripts/spawns_setsid_grandchild.py'] }, { signal: controller.signal });
  const first = await grandchildPid();
  assert.ok(isAlive(first));
  await new Promise((resolve) => setTimeout(resolve, 300)); // a sweep or two records it
  controller.abort();
  const { outcome } = await cancelled;
  assert.is(outcome.cause, 'cancelled');
  assert.ok(await gone(first), `setsid grandchild ${first} survived the cancel`);
  assert.is(outcome.detail, 'The run was cancelled, and every process it started was stopped.');

  rmSync(join(workspace, 'grandchild.pid'), { force: true });
  const limit = scaled(3000);
  const timedOut = run({ scripts: ['scripts/spawns_setsid_grandchild.py'] }, { timeoutMs: limit });
  const second = await grandchildPid();
  const { outcome: late } = await timedOut;
  assert.is(late.cause, 'timeout');
  assert.ok(await gone(second), `setsid grandchild ${second} survived the timeout`);
});

test('a cancel before the start runs nothing', async () => {
  const controller = new AbortController();
  controller.abort();
  const { outcome, chunks } = await run(node('test_pass'), { signal: controller.signal });
  assert.equal([outcome.cause, outcome.exitCode, chunks.length], ['cancelled', null, 0]);
});

test('a passing test that leaves a grandchild holding the pipes still answers, and the grandchild is gone', async () => {
  rmSync(join(workspace, 'grandchild.pid'), { force: true });
  const { outcome, elapsedMs } = await run(node('test_leaves_grandchild_behind'));
  const pid = await grandchildPid();
  assert.equal([outcome.passed, outcome.cause, outcome.exitCode], [true, 'passed', 0]);
  assert.ok(elapsedMs < scaled(5000), `answered after ${elapsedMs} ms`);
  assert.ok(await gone(pid), `grandchild ${pid} survived`);
});

test('scripts run in order, their output streamed as whole lines in order', async () => {
  const { outcome, chunks } = await run({ scripts: ['scripts/count.py', 'scripts/second.py'] });
  assert.equal([outcome.passed, outcome.cause, outcome.exitCode], [true, 'passed', 0]);
  assert.is(outcome.detail, 'All 2 scripts exited with code 0.');
  const expected = [...Array.from({ length: 200 }, (_, index) => `line ${index + 1}\n`), 'no newline at the end', 'second script ran\n'].join('');
  assert.is(text(chunks, 'stdout'), expected);
  assert.is(text(chunks, 'stderr'), 'a warning\n');
  const partial = chunks.filter((chunk) => !chunk.text.endsWith('\n'));
  assert.equal(partial, [{ stream: 'stdout', text: 'no newline at the end' }]);
});

test('scripts stop at the first failure, with its real exit code', async () => {
  const { outcome, chunks } = await run({ scripts: ['scripts/exit_three.py', 'scripts/second.py'] });
  assert.equal([outcome.passed, outcome.cause, outcome.exitCode, outcome.signal], [false, 'failed', 3, null]);
  assert.is(outcome.detail, 'scripts/exit_three.py failed with exit code 3.');
  assert.is(text(chunks, 'stdout'), 'about to fail\n');
});

test("a script's prompts are answered by the catalog's stdin", async () => {
  const { outcome } = await run({ scripts: ['scripts/asks_twice.py'], stdin: 'y\n\n' });
  assert.equal([outcome.passed, outcome.exitCode], [true, 0], outcome.outputTail);
  assert.match(outcome.outputTail, /answers: 'y' ''/);
});

test('a script that asks with no stdin given fails at once instead of waiting', async () => {
  const { outcome, elapsedMs } = await run({ scripts: ['scripts/asks_twice.py'] });
  assert.equal([outcome.passed, outcome.cause, outcome.exitCode], [false, 'failed', 1]);
  assert.match(outcome.outputTail, /EOFError/);
  assert.ok(elapsedMs < scaled(3000), `answered after ${elapsedMs} ms`);
});

test('outputTail keeps the last 4 KiB of UTF-8 at most', async () => {
  const { outcome, chunks } = await run({ scripts: ['scripts/lots.py'] });
  assert.is(outcome.passed, true);
  assert.ok(Buffer.byteLength(outcome.outputTail) <= 4096);
  assert.ok(Buffer.byteLength(outcome.outputTail) > 4000);
  assert.ok(outcome.outputTail.endsWith('THE END\n'));
  assert.not.match(outcome.outputTail, /\uFFFD/);
  const stdout = text(chunks, 'stdout');
  assert.is(stdout.split('\n').length, 20002);
  assert.not.match(stdout, /\uFFFD/, 'a character was cut in two between reads');
});

test('a progress bar that never ends its line (19 MB of \\r updates) streams in bounded pieces, in linear time', async () => {
  const { outcome, chunks, elapsedMs } = await run({ scripts: ['scripts/progress_bar.py'] });
  assert.is(outcome.passed, true);
  assert.ok(outcome.outputTail.endsWith('\ndone\n'));
  const longest = Math.max(...chunks.map((chunk) => chunk.text.length));
  assert.ok(longest <= 64 * 1024, `one piece held ${longest} characters`);
  const stdout = text(chunks, 'stdout');
  assert.ok(
    stdout.startsWith('\rtraining 000000/400000') && stdout.endsWith('training 399999/400000 loss=0.1234 [###################]\ndone\n'),
    'nothing is lost before the throttle',
  );
  assert.is(stdout.split('\r').length, 400_001);
  // Linear: a quadratic reassembly of 400,000 updates would take minutes, not seconds.
  assert.ok(elapsedMs < scaled(10_000), `answered after ${elapsedMs} ms`);
});

test('a Python that does not exist is an outcome, not a throw', async () => {
  const { outcome } = await run(node('test_pass'), { python: '/nonexistent/python3' });
  assert.equal([outcome.passed, outcome.cause, outcome.exitCode, outcome.signal], [false, 'spawn-failed', null, null]);
  assert.is(outcome.detail, 'Could not start Python "/nonexistent/python3": it was not found (set the python option, --python or TINYTORCH_PYTHON).');
});

test('a workspace that does not exist is an outcome, not a throw', async () => {
  const { outcome } = await run(node('test_pass'), { workspace: join(workspace, 'missing') });
  assert.is(outcome.cause, 'spawn-failed');
  assert.match(outcome.detail, /is not an existing folder\.$/);
});

test.run();
