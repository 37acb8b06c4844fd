// `integrate DIR` on a stand-in for tito (its command registration and its `module complete` hook, written here):
// tito's hook and `tito milestones` go through the sidecar, a second run changes nothing, --undo leaves git clean.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { git } from '../builders/tinytorch-repo.js';
import { BIN } from '../helpers/rpc-client.js';

let parent = '';

test.before(() => {
  parent = mkdtempSync(join(tmpdir(), 'integrate-'));
});

test.after(() => {
  rmSync(parent, { recursive: true, force: true });
});

/** A tiny tito: a table of commands built with the config, a subparser each, and a hook that imports the tracker. */
const STAND_IN: Record<string, string> = {
  'tito/__init__.py': '',
  'tito/commands/__init__.py': '',
  'tito/commands/milestone.py': [
    'class MilestoneCommand:',
    '    def __init__(self, config):',
    '        self.config = config',
    '    description = "the stand-in\'s own milestones"',
    '    def add_arguments(self, parser):',
    '        parser.add_argument("rest", nargs="*")',
    '    def execute(self, args):',
    '        print("the stand-in\'s own milestones command")',
    '        return 0',
    '',
  ].join('\n'),
  'tito/commands/module/__init__.py': '',
  'tito/commands/module/workflow.py': [
    'from pathlib import Path',
    '',
    'def check_unlocks(module_name):',
    '    try:',
    '        import sys',
    '        folder = Path(__file__).parent.parent.parent / "tests" / "milestones"',
    '        if str(folder) not in sys.path:',
    '            sys.path.insert(0, str(folder))',
    '        from milestone_tracker import check_module_export',
    '        return check_module_export(module_name)',
    '    except ImportError:',
    '        return None',
    '',
  ].join('\n'),
  'tito/main.py': [
    'import argparse',
    'import sys',
    '',
    'from .commands.milestone import MilestoneCommand',
    '',
    'COMMANDS = {',
    "    'milestones': MilestoneCommand,",
    '}',
    '',
    'def main(argv):',
    '    parser = argparse.ArgumentParser(prog="tito")',
    '    subparsers = parser.add_subparsers(dest="command")',
    '    for name, command_class in COMMANDS.items():',
    '        command_class(None).add_arguments(subparsers.add_parser(name))',
    '    args = parser.parse_args(argv)',
    '    return COMMANDS[args.command](None).execute(args)',
    '',
    'if __name__ == "__main__":',
    '    sys.exit(main(sys.argv[1:]))',
    '',
  ].join('\n'),
  'src/01_tensor/01_tensor.py': 'class Tensor:\n    pass\n',
  'tinytorch/__init__.py': '',
};

function standIn(): string {
  const checkout = mkdtempSync(join(parent, 'tito-'));
  for (const [path, content] of Object.entries(STAND_IN)) {
    mkdirSync(dirname(join(checkout, path)), { recursive: true });
    writeFileSync(join(checkout, path), content);
  }
  writeFileSync(join(checkout, '.gitignore'), '__pycache__/\n');
  git(checkout, 'init', '-q');
  git(checkout, 'add', '-A');
  git(checkout, 'commit', '-qm', 'stand-in');
  return checkout;
}

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  assert.is(result.status, 0, result.stderr);
  return result.stdout;
}

function python(checkout: string, args: string[], progressFile: string) {
  const env = {
    ...process.env,
    TINYTORCH_MILESTONES_CMD: `${process.execPath} ${BIN}`,
    // A spawned sidecar: a daemon would outlive the test (the clients' tests cover the daemon path).
    TINYTORCH_MILESTONES_DAEMON: '0',
    TINYTORCH_MILESTONES_PLAIN: '1',
    TINYTORCH_PROGRESS_FILE: progressFile,
    TINYTORCH_WORKSPACE: '',
    TINYTORCH_CATALOG: '',
  };
  return spawnSync('python3', args, { cwd: checkout, encoding: 'utf8', env });
}

test('integrate wires the hook and the command, says each change, and a second run changes nothing', () => {
  const checkout = standIn();
  const progressFile = join(parent, `${checkout.split('/').pop()}-progress.json`);
  const first = cli('integrate', checkout);
  assert.match(first, 'created tito/tests/milestones/milestone_tracker.py');
  assert.match(first, 'created tito/commands/milestones_sidecar.py');
  assert.match(first, 'edited tito/main.py');
  const main = readFileSync(join(checkout, 'tito/main.py'), 'utf8');
  assert.match(main, 'from .commands.milestones_sidecar import MilestoneCommand as MilestoneCommand');

  const again = cli('integrate', checkout);
  assert.not.match(again, /created|edited/);
  assert.match(again, 'Already integrated');
  assert.is(readFileSync(join(checkout, 'tito/main.py'), 'utf8'), main);

  // tito's hook: check_module_export through the sidecar, in the tinytorch catalog of this checkout.
  const hook = python(checkout, ['-c', 'from tito.commands.module.workflow import check_unlocks; print(check_unlocks("01")["newly_unlocked"])'], progressFile);
  assert.is(hook.status, 0, hook.stderr);
  assert.match(hook.stdout, "['01']");

  // `tito milestones list` is ours now.
  const list = python(checkout, ['-m', 'tito.main', 'milestones', 'list', '--simple'], progressFile);
  assert.is(list.status, 0, list.stderr);
  assert.match(list.stdout, '🎯 01 - Perceptron (1957)');
  assert.match(list.stdout, '🔒 02 - XOR Crisis (1969)');
  const locked = python(checkout, ['-m', 'tito.main', 'milestones', 'run', '02'], progressFile);
  assert.is(locked.status, 1);
  assert.match(locked.stdout, 'XOR Crisis (1969) is locked: complete 02_activations first.');
});

test('integrate --undo restores the checkout exactly: git status is clean', () => {
  const checkout = standIn();
  const progressFile = join(parent, `${checkout.split('/').pop()}-progress.json`);
  const before = readFileSync(join(checkout, 'tito/main.py'));
  cli('integrate', checkout);
  // Python leaves compiled files behind when it is allowed to.
  const ran = spawnSync('python3', ['-c', 'import tito.main, tito.commands.milestones_sidecar'], {
    cwd: checkout,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '', TINYTORCH_PROGRESS_FILE: progressFile },
  });
  assert.is(ran.status, 0, String(ran.stderr));
  const undone = cli('integrate', '--undo', checkout);
  assert.match(undone, 'restored tito/main.py');
  assert.match(undone, 'removed tito/tests/milestones/milestone_tracker.py');
  assert.match(undone, 'removed tito/commands/milestones_sidecar.py');
  assert.equal(readFileSync(join(checkout, 'tito/main.py')), before);
  assert.is(git(checkout, 'status', '--porcelain', '--untracked-files=all'), '');
  // Nothing of ours is left among the ignored files either: no compiled copy, no hook folder.
  const ignored = git(checkout, 'status', '--porcelain', '--untracked-files=all', '--ignored');
  assert.ok(ignored.includes('tito/__pycache__/'), ignored);
  assert.not.match(ignored, /milestones_sidecar|milestone_tracker|tests\/milestones/);
  assert.match(cli('integrate', '--undo', checkout), 'Nothing to undo');
});

test('a folder without tito is refused in one sentence', () => {
  const result = spawnSync(process.execPath, [BIN, 'integrate', parent], { encoding: 'utf8' });
  assert.is(result.status, 2);
  assert.match(result.stderr, 'is not a TinyTorch checkout: it has no tito/ folder to integrate with.');
});

test.run();
