// Catalog validation: option-like or escaping verify entries and a verify with both kinds are named problems.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCatalog } from '../../src/core/catalog-check.js';

const origin = '/tmp/catalog.json';
const milestone = (verify: unknown) => ({ id: 'm', name: 'M', description: '', unlockMessage: '', requires: ['01_tensor'], verify });
const problems = (verify: unknown): string[] => {
  const check = checkCatalog({ name: 'c', milestones: [milestone(verify)] }, origin);
  return check.ok ? [] : check.problems;
};

test('an option-like pytest node or script is refused by name, not run as an option that "passes" (A21)', () => {
  assert.equal(problems({ pytest: '--version' }), [
    'milestones.0.verify.pytest: "--version" looks like a command-line option; expected a pytest node id like "tests/test_x.py::test_y"',
  ]);
  assert.equal(problems({ scripts: ['milestones/ok.py', '--version'] }), [
    'milestones.0.verify.scripts.1: "--version" looks like a command-line option; expected a script path like "milestones/01_perceptron.py"',
  ]);
  assert.equal(problems({ scripts: ['-c'] }).length, 1);
  assert.equal(problems({ pytest: '-p::x' }).length, 1);
});

test('a verify with both pytest and scripts is refused, naming it (A21)', () => {
  assert.equal(problems({ pytest: 'tests/test_x.py::test_y', scripts: ['milestones/ok.py'] }), [
    'milestones.0.verify: has both "pytest" and "scripts"; give one (the scripts would never run)',
  ]);
});

test('a script or test outside the workspace, or with a control character, is refused (B5)', () => {
  assert.match(problems({ scripts: ['/etc/passwd'] }).join('\n'), /"\/etc\/passwd" is an absolute path; expected a script path/);
  assert.match(problems({ scripts: ['../../outside.py'] }).join('\n'), /"\.\.\/\.\.\/outside\.py" leaves the workspace \(\.\.\)/);
  assert.match(problems({ scripts: ['milestones/../../x.py'] }).join('\n'), /leaves the workspace/);
  assert.match(problems({ scripts: ['~/x.py'] }).join('\n'), /is an absolute path/);
  assert.match(problems({ pytest: '/abs/test_x.py::test_y' }).join('\n'), /is an absolute path; expected a pytest node id/);
  assert.match(problems({ pytest: '../tests/test_x.py::test_y' }).join('\n'), /leaves the workspace/);
  assert.match(problems({ scripts: ['ok.py\u0000--version'] }).join('\n'), /contains a control character/);
});

test('ordinary entries still validate: relative paths, node ids with parameters', () => {
  assert.equal(problems({ pytest: 'tests/test_x.py::test_y' }), []);
  assert.equal(problems({ pytest: 'tests/test_x.py::TestA::test_y[a/../b-1.5]' }), []);
  assert.equal(problems({ scripts: ['milestones/01_x/02_y.py', 'milestones/a..b.py'], stdin: '\n\n' }), []);
});

test.run();
