// The shell client (clients/shell/tinytorch-milestones.sh) spawned for real: every subcommand, --json, errors, watch.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import { CheckExportRequest, ListRequest, ProgressRequest, RunRequest, UnlockedNotification } from '../../protocol/index.js';
import { withTimeout } from '../helpers/timeout.js';

const SCRIPT = fileURLToPath(new URL('../../clients/shell/tinytorch-milestones.sh', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/tinytorch-milestones.js', import.meta.url));
const FAKE = fileURLToPath(new URL('./fixtures/fake-sidecar.mjs', import.meta.url));
const SIDECAR_CMD = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`;
const WAIT_MS = 20_000;

const PERCEPTRON_MESSAGE =
  '🔓 MILESTONE UNLOCKED!\n\n1957 - The Perceptron\nFirst learning algorithm with automatic weight updates\n\n🎉 You can now verify that gradient descent actually works!\n\nRun: tito milestones run perceptron';
const ESCAPED_TEXT = 'café 🎉 "quoted" back\\slash\ttab / slash\nsecond line';

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Every test runs twice: through the per-user daemon (the client's default: `connect`) and through a spawned
 * `--stdio` sidecar (TINYTORCH_MILESTONES_DAEMON=0). The daemon lives in this file's own XDG_RUNTIME_DIR, never a
 * real user's, and is stopped after its suite.
 */
const MODES = ['daemon', 'spawn'] as const;
let mode: (typeof MODES)[number] = 'daemon';
const runtime = mkdtempSync(join(tmpdir(), 'ttm-shell-runtime-'));
const suites = MODES.map((name) => {
  const cases = suite(`shell client through ${name === 'daemon' ? 'the daemon' : 'a spawned sidecar'}`);
  cases.before(() => {
    mode = name;
  });
  cases.after(() => {
    spawnSync(process.execPath, [BIN, 'daemon', 'stop'], { env: { ...process.env, XDG_RUNTIME_DIR: runtime }, stdio: 'ignore' });
    if (name === MODES.at(-1)) rmSync(runtime, { recursive: true, force: true });
  });
  return cases;
});
/** Registers each test, hook and run in both suites. */
const test = Object.assign(
  (name: string, handler: Parameters<Test>[1]) => {
    for (const cases of suites) cases(name, handler);
  },
  {
    before: {
      each: (handler: () => void | Promise<void>) => {
        for (const cases of suites) cases.before.each(handler);
      },
    },
    after: {
      each: (handler: () => void | Promise<void>) => {
        for (const cases of suites) cases.after.each(handler);
      },
    },
    run: () => {
      for (const cases of suites) cases.run();
    },
  },
);

let folder = '';
let home = '';
const children = new Set<ChildProcess>();

const progressFile = () => join(home, '.tinytorch', 'progress.json');

function environment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    TINYTORCH_MILESTONES_CMD: SIDECAR_CMD,
    TINYTORCH_CATALOG: 'seed',
    XDG_RUNTIME_DIR: runtime,
    TINYTORCH_MILESTONES_DAEMON: mode === 'daemon' ? '1' : '0',
  };
  // uvu sets FORCE_COLOR, and pytest would colour its live output.
  for (const key of ['TINYTORCH_PROGRESS_FILE', 'TINYTORCH_WORKSPACE', 'TINYTORCH_EXPORTS', 'TINYTORCH_PYTHON', 'FORCE_COLOR', 'PY_COLORS']) delete env[key];
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** `detached`: in a process group of its own, as a terminal's foreground job is, so Ctrl-C can be sent to the group. */
function start(args: string[], extra: Record<string, string | undefined> = {}, detached = false) {
  const child = spawn('bash', [SCRIPT, ...args], { cwd: folder, env: environment(extra), stdio: ['ignore', 'pipe', 'pipe'], detached });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<Outcome>((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, done, output: () => stdout };
}

function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  return withTimeout(promise, ms, what);
}

const run = (args: string[], extra: Record<string, string | undefined> = {}) => within(start(args, extra).done, `tinytorch-milestones.sh ${args.join(' ')}`);

async function until(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function childPids(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function makeWorkspace(returns: boolean): string {
  const workspace = join(folder, 'workspace');
  mkdirSync(join(workspace, 'tests', 'milestones'), { recursive: true });
  writeFileSync(
    join(workspace, 'tests', 'milestones', 'test_learning_verification.py'),
    `def test_perceptron_learning():\n    print("epoch 1: loss 0.5")\n    return ${returns ? 'True' : 'False'}\n`,
  );
  return workspace;
}

async function unlockPerceptron(extra: Record<string, string | undefined> = {}) {
  for (const module of ['00_setup', '01_tensor', '02_autograd']) {
    const outcome = await run(['check-export', module], extra);
    assert.is(outcome.code, 0, outcome.stderr);
  }
}

test.before.each(() => {
  folder = mkdtempSync(join(tmpdir(), 'ttm-shell-'));
  home = join(folder, 'home');
  mkdirSync(home);
});

test.after.each(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all([...children].map((child) => new Promise((resolve) => child.once('close', resolve))));
  rmSync(folder, { recursive: true, force: true });
});

test('the sidecar is built', () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: run npm run build first`);
});

test('progress prints the text and creates no file', async () => {
  const outcome = await run(['progress']);
  assert.is(outcome.code, 0, outcome.stderr);
  assert.match(outcome.stdout, /^🎯 TinyTorch Milestone Progress\n/);
  assert.match(outcome.stdout, /1957 - The Perceptron +🔒 Locked +0\/3 modules/);
  assert.match(outcome.stdout, /What's Next\? 1957 - The Perceptron/);
  assert.is(outcome.stderr, '');
  assert.not.ok(existsSync(progressFile()));
});

test('check-export unlocks the perceptron with the exact message and leaves the original file', async () => {
  const first = await run(['check-export', '00_setup']);
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stdout, '00_setup');
  await run(['check-export', '1']); // a bare number resolves through the catalog
  const third = await run(['check-export', '02_autograd']);
  assert.is(third.code, 0, third.stderr);
  assert.is(third.stdout, `${PERCEPTRON_MESSAGE}\n`);
  assert.is(
    readFileSync(progressFile(), 'utf8'),
    JSON.stringify({ completed_modules: ['00_setup', '01_tensor', '02_autograd'], unlocked_milestones: ['perceptron'], completed_milestones: [] }, null, 2),
  );
});

test('check-export 03_nn --json prints the protocol result', async () => {
  await unlockPerceptron();
  const outcome = await run(['check-export', '03_nn', '--json']);
  assert.is(outcome.code, 0, outcome.stderr);
  assert.is(outcome.stdout.trimEnd().split('\n').length, 1);
  const result = CheckExportRequest.result.parse(JSON.parse(outcome.stdout));
  assert.equal(result.newlyUnlocked, ['xor']);
  assert.is(result.messages.length, 1);
  assert.match(result.messages[0] ?? '', /^🔓 MILESTONE UNLOCKED!\n\n1986 - Backpropagation \(XOR\)\n/);
  assert.is(result.text, result.messages[0]);
});

test('list and progress, as text and as --json', async () => {
  const empty = await run(['list']);
  assert.is(empty.stdout, 'No milestones unlocked yet. Complete more modules!\n');
  await unlockPerceptron();
  const listed = await run(['list']);
  assert.is(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, 'pytest tests/milestones/test_learning_verification.py::test_perceptron_learning -v');
  const listJson = ListRequest.result.parse(JSON.parse((await run(['list', '--json'])).stdout));
  assert.equal(
    listJson.tests.map((item) => item.id),
    ['perceptron'],
  );
  const progress = ProgressRequest.result.parse(JSON.parse((await run(['--json', 'progress'])).stdout));
  assert.is(progress.milestones[0]?.status, 'unlocked');
  assert.equal(progress.next, { id: 'xor', name: '1986 - Backpropagation (XOR)', missing: ['03_nn'] });
});

test('errors go to stderr with a non-zero exit', async () => {
  const badModule = await run(['check-export', 'not a module']);
  assert.is(badModule.code, 1);
  assert.is(badModule.stdout, '');
  assert.match(badModule.stderr, /^tinytorch-milestones\.sh: .*01_tensor/);

  const unknown = await run(['run', 'not_a_milestone']);
  assert.is(unknown.code, 1);
  assert.is(unknown.stdout, '');
  assert.match(unknown.stderr, /unknown milestone "not_a_milestone"/);

  const locked = await run(['run', 'xor'], { TINYTORCH_WORKSPACE: makeWorkspace(true) });
  assert.is(locked.code, 1);
  assert.match(locked.stderr, /locked/);

  const usage = await run(['frobnicate']);
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /usage: tinytorch-milestones\.sh progress\|list\|check-export MODULE\|run ID\|watch \[--json\|--notify\]/);
  assert.is((await run([])).code, 2);

  const missing = await run(['progress'], { TINYTORCH_MILESTONES_CMD: join(folder, 'no-such-sidecar') });
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /cannot start the milestone sidecar .*no-such-sidecar/);
});

test("run streams the output live and exits with the run's outcome", async () => {
  const workspace = makeWorkspace(true);
  await unlockPerceptron();
  const passing = await run(['run', 'perceptron'], { TINYTORCH_WORKSPACE: workspace });
  assert.is(passing.code, 0, passing.stderr);
  assert.match(passing.stdout, /test_perceptron_learning PASSED/, passing.stdout + passing.stderr);
  assert.match(passing.stdout, /🏆 MILESTONE COMPLETED!/);
  assert.equal(JSON.parse(readFileSync(progressFile(), 'utf8')).completed_milestones, ['perceptron']);

  const again = await run(['run', 'perceptron', '--json'], { TINYTORCH_WORKSPACE: workspace });
  assert.is(again.code, 0, again.stderr);
  const result = RunRequest.result.parse(JSON.parse(again.stdout)); // the live output went to stderr
  assert.is(result.passed, true);
  assert.is(result.newlyCompleted, false);
  assert.match(again.stderr, /PASSED/);

  writeFileSync(join(workspace, 'tests', 'milestones', 'test_learning_verification.py'), 'def test_perceptron_learning():\n    return False\n');
  const failing = await run(['run', 'perceptron'], { TINYTORCH_WORKSPACE: workspace });
  assert.is(failing.code, 1);
});

test('JSON strings are decoded (\\uXXXX, surrogate pairs, escapes) and stray stdout is skipped', async () => {
  const fake = `${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE)}`;
  const outcome = await run(['progress'], { TINYTORCH_MILESTONES_CMD: fake });
  assert.is(outcome.code, 0, outcome.stderr);
  assert.is(outcome.stdout, `${ESCAPED_TEXT}\n`);
  const json = await run(['list', '--json'], { TINYTORCH_MILESTONES_CMD: fake });
  assert.is(JSON.parse(json.stdout).text, ESCAPED_TEXT);
});

test('a crash reports the exit status and the end of stderr; another protocol version is refused', async () => {
  const fake = `${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE)}`;
  const crash = await run(['list'], { TINYTORCH_MILESTONES_CMD: fake, FAKE_MODE: 'crash' });
  assert.is(crash.code, 1);
  assert.match(crash.stderr, /exit status 3/);
  assert.match(crash.stderr, /fake sidecar: giving up/);
  const version = await run(['list'], { TINYTORCH_MILESTONES_CMD: fake, FAKE_MODE: 'version-2' });
  assert.is(version.code, 1);
  assert.match(version.stderr, /protocol version 2, and this client speaks version 1/);
});

test("without TINYTORCH_MILESTONES_CMD it finds this checkout's build", async () => {
  const path = `${dirname(process.execPath)}:/usr/bin:/bin`;
  const outcome = await run(['progress'], { TINYTORCH_MILESTONES_CMD: undefined, PATH: path });
  assert.is(outcome.code, 0, outcome.stderr);
  assert.match(outcome.stdout, /TinyTorch Milestone Progress/);
});

async function watchSeesAnExternalUnlock(signal: NodeJS.Signals) {
  const watcher = start(['watch']);
  // The sidecar logs what it watches once it is ready (window/logMessage); give it that long at most.
  await until(() => /Watching/.test(watcher.output()), 'the watcher to start').catch(() => undefined);
  await unlockPerceptron();
  await until(() => watcher.output().includes('"milestones/unlocked"'), 'milestones/unlocked on the watch output');
  const lines = watcher.output().trimEnd().split('\n');
  for (const line of lines) JSON.parse(line); // one JSON object per line
  const unlocked = lines.map((line) => JSON.parse(line)).find((message) => message.method === 'milestones/unlocked');
  const params = UnlockedNotification.params.parse(unlocked.params);
  assert.is(params.id, 'perceptron');
  assert.is(params.cause, 'external');
  assert.is(params.message, PERCEPTRON_MESSAGE);

  const sidecars = childPids(watcher.child.pid!);
  watcher.child.kill(signal);
  const outcome = await within(watcher.done, `watch to end after ${signal}`);
  assert.is(outcome.code, 0, outcome.stderr);
  for (const pid of sidecars) await until(() => !alive(pid), `the sidecar ${pid} to end`, 5000);
}

test('watch prints an unlock caused by another process, and SIGINT shuts the sidecar down', async () => {
  await watchSeesAnExternalUnlock('SIGINT');
});

test('watch ends cleanly on SIGTERM too', async () => {
  await watchSeesAnExternalUnlock('SIGTERM');
});

/** A stand-in `notify-send` first on PATH: records each call's arguments (NUL-separated), then exits with `status`. */
function standInNotifier(status: number): { env: Record<string, string>; calls: () => string[][] } {
  const bin = join(folder, 'bin');
  const record = join(folder, 'notify-calls');
  mkdirSync(bin, { recursive: true });
  mkdirSync(record, { recursive: true });
  writeFileSync(join(bin, 'notify-send'), `#!/bin/sh\nn=$(ls '${record}' | wc -l)\nprintf '%s\\0' "$@" > '${record}/call.'$n\nexit ${status}\n`, { mode: 0o755 });
  return {
    env: { PATH: `${bin}:${process.env.PATH}` },
    calls: () =>
      readdirSync(record)
        .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
        .map((name) => readFileSync(join(record, name), 'utf8').split('\0').slice(0, -1)),
  };
}

async function markPerceptronCompleted(): Promise<void> {
  const marked = await within(
    new Promise<number | null>((resolve) => spawn(process.execPath, [BIN, 'mark-completed', 'perceptron'], { env: environment(), stdio: 'ignore' }).on('close', resolve)),
    'mark-completed',
  );
  assert.is(marked, 0);
}

test('watch --notify: each unlock and completion is a desktop notification through notify-send, titled by its message', async () => {
  const notifier = standInNotifier(0);
  const watcher = start(['watch', '--notify'], notifier.env);
  await until(() => /Watching/.test(watcher.output()), 'the watcher to start');
  await unlockPerceptron();
  await until(() => notifier.calls().length === 1, 'notify-send for the unlock');
  assert.equal(notifier.calls()[0], ['--app-name=TinyTorch', '--', '🔓 MILESTONE UNLOCKED!', PERCEPTRON_MESSAGE.split('\n').slice(2).join('\n')]);
  await markPerceptronCompleted();
  await until(() => notifier.calls().length === 2, 'notify-send for the completion');
  const [, , title, body] = notifier.calls()[1]!;
  assert.is(title, '🏆 MILESTONE COMPLETED!');
  assert.match(body!, /^1957 - The Perceptron\n/);
  assert.not.match(watcher.output(), /MILESTONE/, 'shown on the desktop, not printed as well');
  watcher.child.kill('SIGTERM');
  const outcome = await within(watcher.done, 'watch --notify to end');
  assert.is(outcome.code, 0, outcome.stderr);
});

test('watch --notify without a working notifier prints a plain line per milestone and the hint once', async () => {
  const notifier = standInNotifier(1); // notify-send that fails, as it does without a D-Bus session
  const watcher = start(['watch', '--notify'], notifier.env);
  await until(() => /Watching/.test(watcher.output()), 'the watcher to start');
  await unlockPerceptron();
  await until(() => watcher.output().includes('🔓 MILESTONE UNLOCKED! 1957 - The Perceptron\n'), 'the plain unlock line');
  await markPerceptronCompleted();
  await until(() => watcher.output().includes('🏆 MILESTONE COMPLETED! 1957 - The Perceptron\n'), 'the plain completion line');
  watcher.child.kill('SIGINT');
  const outcome = await within(watcher.done, 'watch --notify to end');
  assert.is(outcome.code, 0, outcome.stderr);
  assert.is(outcome.stderr.match(/no desktop notifier worked/g)?.length, 1, outcome.stderr);
  assert.is(notifier.calls().length, 2, 'it tried the notifier each time');
  assert.is((await run(['progress', '--notify'])).code, 2, '--notify goes with watch only');
});

test('Ctrl-C in a terminal reaches the sidecar too: watch still ends with 0 and run with 130, leaving no temporary file', async () => {
  const temporary = join(folder, 'tmp');
  mkdirSync(temporary);
  const watcher = start(['watch'], { TMPDIR: temporary }, true);
  await until(() => /Watching/.test(watcher.output()), 'the watcher to start');
  process.kill(-watcher.child.pid!, 'SIGINT'); // what the terminal does: the whole foreground process group
  const watched = await within(watcher.done, 'watch to end after Ctrl-C');
  assert.is(watched.code, 0, watched.stderr);
  assert.equal(readdirSync(temporary), []);

  const workspace = makeWorkspace(true);
  writeFileSync(
    join(workspace, 'tests', 'milestones', 'test_learning_verification.py'),
    'import time\ndef test_perceptron_learning():\n    print("training", flush=True)\n    time.sleep(30)\n',
  );
  await unlockPerceptron();
  const runner = start(['run', 'perceptron'], { TMPDIR: temporary, TINYTORCH_WORKSPACE: workspace }, true);
  await until(() => /collected 1 item/.test(runner.output()), 'the run to start');
  process.kill(-runner.child.pid!, 'SIGINT');
  const ran = await within(runner.done, 'run to end after Ctrl-C');
  assert.is(ran.code, 130, ran.stderr);
  assert.equal(readdirSync(temporary), []);
});

test.run();
