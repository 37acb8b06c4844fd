// The one-shot CLI as a person types it: text by default, the protocol's JSON with --json, exit codes, one-line errors.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CheckExportRequest, ProgressRequest } from '../../protocol/index.js';
import { isGoneWithin } from '../helpers/process.js';
import { scaled } from '../helpers/time.js';
import { BIN } from '../helpers/rpc-client.js';

const DEMO_WORKSPACE = fileURLToPath(new URL('../../demo/workspace', import.meta.url));
let folder = '';

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      TINYTORCH_PROGRESS_FILE: join(folder, 'progress.json'),
      TINYTORCH_WORKSPACE: DEMO_WORKSPACE,
      TINYTORCH_CATALOG: 'seed',
      PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1',
    },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test.before.each(() => {
  folder = mkdtempSync(join(tmpdir(), 'ttm-cli-'));
});
test.after.each(() => {
  rmSync(folder, { recursive: true, force: true });
});

test('check-export prints the unlock panel; --json prints the protocol result; progress and list read it back', () => {
  assert.is(cli('check-export', '00_setup').code, 0);
  assert.is(cli('check-export', '1').stdout.trim(), 'Recorded 01_tensor. No new milestone unlocked.');
  const third = cli('check-export', '02_autograd', '--json');
  assert.is(third.code, 0);
  assert.equal(CheckExportRequest.result.parse(JSON.parse(third.stdout)).newlyUnlocked, ['perceptron']);
  const progress = ProgressRequest.result.parse(JSON.parse(cli('progress', '--json').stdout));
  assert.is(progress.milestones[0]?.status, 'unlocked');
  assert.match(cli('progress').stdout, /1957 - The Perceptron\s+🔓 Unlocked\s+3\/3 modules/);
  assert.match(cli('list').stdout, 'pytest tests/milestones/test_learning_verification.py::test_perceptron_learning -v');
  assert.match(cli('catalog').stdout, 'Catalog seed (builtin:seed): 5 milestones');
});

test('bad input is one line on stderr and exit 2; an unknown milestone is exit 1', () => {
  for (const args of [['check-export', '../x'], ['check-export'], ['nonsense'], ['--bogus'], ['--run-timeout-ms', 'soon', 'progress']]) {
    const result = cli(...args);
    assert.is(result.code, 2, args.join(' '));
    assert.match(result.stderr, /^tinytorch-milestones: /);
    assert.not.match(result.stderr, '    at ', 'no stack trace');
  }
  const unknown = cli('mark-completed', 'nope');
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, 'unknown milestone "nope"');
  assert.is(existsSync(join(folder, 'progress.json')), false, 'rejected requests write nothing');
});

test('a progress file that is a folder, or under a file, is one sentence and exit 2, not a stack trace', () => {
  mkdirSync(join(folder, 'a-folder'));
  writeFileSync(join(folder, 'a-file'), '{}');
  for (const path of [join(folder, 'a-folder'), join(folder, 'a-file', 'progress.json')]) {
    for (const command of [['progress'], ['check-export', '00_setup']]) {
      const result = cli(...command, '--progress-file', path);
      assert.is(result.code, 2, `${command[0]} ${path}`);
      assert.match(result.stderr, `Cannot read the progress file ${path}`);
      assert.not.match(result.stderr, '    at ', 'no stack trace');
    }
  }
});

test('validate-catalog names every problem; a bad --catalog stops with one sentence', () => {
  const bad = join(folder, 'bad.json');
  const milestone = { id: 'a', name: 'A', description: '', unlockMessage: '', requires: ['1_tensor'], verify: { pytest: 'x' } };
  writeFileSync(bad, JSON.stringify({ name: 'bad', milestones: [milestone, { ...milestone, requires: [] }] }));
  const checked = cli('validate-catalog', bad);
  assert.is(checked.code, 1);
  assert.match(checked.stdout, '3 problems');
  assert.match(checked.stdout, 'duplicate milestone id "a"');
  assert.match(checked.stdout, 'requires must name at least one module');
  assert.match(checked.stdout, 'received "1_tensor"');
  assert.equal(JSON.parse(cli('validate-catalog', bad, '--json').stdout).valid, false);
  writeFileSync(join(folder, 'broken.json'), '{"name": ');
  assert.match(cli('validate-catalog', join(folder, 'broken.json')).stdout, 'not valid JSON');
  const good = join(folder, 'good.json');
  writeFileSync(good, JSON.stringify({ name: 'good', milestones: [{ ...milestone, requires: ['01_tensor'] }] }));
  assert.is(cli('validate-catalog', good).code, 0);

  const refused = cli('--catalog', bad, 'progress');
  assert.is(refused.code, 2);
  assert.is(refused.stderr.trim().split('\n').length, 1);
  assert.match(refused.stderr, 'duplicate milestone id "a"');
});

test('a corrupt progress file is kept and reported; repair starts afresh and keeps the backup', () => {
  writeFileSync(join(folder, 'progress.json'), 'not json');
  const corrupt = cli('progress');
  assert.is(corrupt.code, 1);
  assert.match(corrupt.stderr, 'tinytorch-milestones repair');
  const repaired = cli('repair', '--json');
  assert.is(repaired.code, 0);
  const { backup } = JSON.parse(repaired.stdout);
  assert.is(readFileSync(backup, 'utf8'), 'not json');
  assert.equal(JSON.parse(readFileSync(join(folder, 'progress.json'), 'utf8')), { completed_modules: [], unlocked_milestones: [], completed_milestones: [] });
  assert.is(cli('progress').code, 0);
});

test('run streams the output, prints the verdict once, and exits with the run: 0 for a pass, non-zero for an honest failure', () => {
  for (const module of ['00_setup', '01_tensor', '02_autograd', '03_nn']) cli('check-export', module);
  const passed = cli('run', 'perceptron');
  assert.is(passed.code, 0, passed.stderr);
  assert.ok(passed.stdout.indexOf('test_perceptron_learning PASSED') < passed.stdout.indexOf('✅ 1957 - The Perceptron'), 'output before the verdict');
  assert.match(passed.stdout, '🏆 MILESTONE COMPLETED!');
  const failed = cli('run', 'xor');
  assert.is(failed.code, 1);
  assert.match(failed.stdout, '❌ 1986 - Backpropagation (XOR)');
  assert.not.match(failed.stdout, 'Last output:', 'the streamed output is not repeated');
  assert.is(cli('run', 'cnn').code, 1, 'a locked milestone is refused');
});

test('a closed terminal (SIGHUP) stops a run like Ctrl-C: its whole group is killed', async () => {
  const workspace = join(folder, 'workspace');
  mkdirSync(join(workspace, 'tests'), { recursive: true });
  const pidFile = join(workspace, 'grandchild.pid');
  writeFileSync(
    join(workspace, 'tests', 'test_hang.py'),
    `import os, subprocess, time\ndef test_hangs():\n    sleeper = subprocess.Popen(["sleep", "300"])\n    open("grandchild.pid.tmp", "w").write(str(sleeper.pid))\n    os.replace("grandchild.pid.tmp", "grandchild.pid")\n    time.sleep(3600)\n`,
  );
  const catalog = join(folder, 'catalog.json');
  const milestone = { id: 'hang', name: 'Hang', description: '', unlockMessage: '', requires: ['01_tensor'], verify: { pytest: 'tests/test_hang.py::test_hangs' } };
  writeFileSync(catalog, JSON.stringify({ name: 'hang', milestones: [milestone] }));
  writeFileSync(join(folder, 'progress.json'), JSON.stringify({ completed_modules: ['01_tensor'], unlocked_milestones: ['hang'], completed_milestones: [] }));
  const child = spawn(process.execPath, [BIN, 'run', 'hang', '--catalog', catalog, '--workspace', workspace], {
    stdio: 'ignore',
    env: { ...process.env, TINYTORCH_PROGRESS_FILE: join(folder, 'progress.json'), PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' },
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let waited = 0; !existsSync(pidFile) && waited < scaled(10_000); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  const pid = Number(readFileSync(pidFile, 'utf8'));
  child.kill('SIGHUP');
  await exited;
  assert.ok(await isGoneWithin(pid, 3000), `grandchild ${pid} survived SIGHUP to the CLI`);
});

test('--version and --help', () => {
  assert.match(cli('--version').stdout, /^\d+\.\d+\.\d+/);
  const help = cli('--help');
  assert.is(help.code, 0);
  assert.match(help.stdout, 'validate-catalog FILE');
});

test('run --json: live output on stderr, the result alone on stdout; a failed run exits 1 whatever its code (A18, A20)', () => {
  const workspace = join(folder, 'ws');
  mkdirSync(join(workspace, 'milestones'), { recursive: true });
  writeFileSync(join(workspace, 'milestones', 'two.py'), 'import sys\nprint("live line")\nsys.exit(2)\n');
  writeFileSync(join(workspace, 'milestones', 'ok.py'), 'print("all good")\n');
  const milestone = (id: string, script: string) => ({ id, name: id, description: '', unlockMessage: '', requires: ['01_tensor'], verify: { scripts: [script] } });
  writeFileSync(join(folder, 'catalog.json'), JSON.stringify({ name: 'c', milestones: [milestone('two', 'milestones/two.py'), milestone('ok', 'milestones/ok.py')] }));
  const run = (...args: string[]) => cli('--catalog', join(folder, 'catalog.json'), '--workspace', workspace, ...args);
  assert.is(run('check-export', '01_tensor').code, 0);

  const failed = run('run', 'two', '--json');
  assert.is(failed.code, 1, "a failed run exits 1, not its script's 2 (2 is bad usage)");
  const result = JSON.parse(failed.stdout);
  assert.equal([result.passed, result.exitCode], [false, 2]);
  assert.match(failed.stderr, 'live line');
  assert.is(run('run', 'two').code, 1);
  assert.match(run('run', 'two').stdout, 'live line', 'without --json the output streams to stdout');

  const passed = run('run', 'ok', '--json');
  assert.is(passed.code, 0);
  assert.equal(JSON.parse(passed.stdout).passed, true);
  assert.match(passed.stderr, 'all good');
  assert.is(run('run').code, 2, 'bad usage is 2');
});

test.run();
