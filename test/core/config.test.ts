// Settings resolution: initializationOptions, then flags, then environment, then defaults (docs/protocol.md §3; the README's Configuration).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_RUN_TIMEOUT_MS, resolveConfig, runTimeoutFor, type ConfigSources } from '../../src/core/config.js';

const sources = (overrides: Partial<ConfigSources> = {}): ConfigSources => ({
  flags: {},
  env: {},
  home: '/home/student',
  hasTodayLayout: (workspace) => workspace === '/today',
  joinPath: (...parts) => parts.join('/'),
  ...overrides,
});

test('defaults: the original progress file, no workspace, the seed catalog, python3, ten minutes', () => {
  assert.equal(resolveConfig(sources()), {
    progressFile: '/home/student/.tinytorch/progress.json',
    workspace: null,
    exports: null,
    catalog: 'seed',
    python: 'python3',
    runTimeoutMs: null,
    popups: 'auto',
  });
  assert.is(DEFAULT_RUN_TIMEOUT_MS, 600_000);
});

test('initializationOptions win over flags, flags over the environment, the environment over defaults', () => {
  const env = { TINYTORCH_PROGRESS_FILE: '/env/p.json', TINYTORCH_PYTHON: '/env/python', TINYTORCH_CATALOG: 'tinytorch', TINYTORCH_WORKSPACE: '/env/ws' };
  const flags = { progressFile: '/flag/p.json', python: '/flag/python' };
  const fromEnvAndFlags = resolveConfig(sources({ env, flags }));
  assert.is(fromEnvAndFlags.progressFile, '/flag/p.json');
  assert.is(fromEnvAndFlags.python, '/flag/python');
  assert.is(fromEnvAndFlags.catalog, 'tinytorch');
  assert.is(fromEnvAndFlags.workspace, '/env/ws');
  const withOptions = resolveConfig(sources({ env, flags, initializationOptions: { progressFile: '/init/p.json', runTimeoutMs: 5000 } }));
  assert.is(withOptions.progressFile, '/init/p.json');
  assert.is(withOptions.runTimeoutMs, 5000);
  assert.is(withOptions.python, '/flag/python');
});

test('the workspace comes from rootPath when nothing else names one; exports default to <workspace>/tinytorch', () => {
  const config = resolveConfig(sources({ rootPath: '/checkout' }));
  assert.is(config.workspace, '/checkout');
  assert.is(config.exports, '/checkout/tinytorch');
  assert.is(resolveConfig(sources({ rootPath: '/checkout', env: { TINYTORCH_WORKSPACE: '/env/ws' } })).workspace, '/env/ws');
});

test("a workspace with today's layout defaults to the tinytorch catalog; an explicit catalog still wins", () => {
  assert.is(resolveConfig(sources({ rootPath: '/today' })).catalog, 'tinytorch');
  assert.is(resolveConfig(sources({ rootPath: '/old' })).catalog, 'seed');
  assert.is(resolveConfig(sources({ rootPath: '/today', flags: { catalog: 'seed' } })).catalog, 'seed');
});

test('an empty environment variable counts as unset', () => {
  const config = resolveConfig(sources({ env: { TINYTORCH_PROGRESS_FILE: '', TINYTORCH_WORKSPACE: '', TINYTORCH_RUN_TIMEOUT_MS: '' } }));
  assert.is(config.progressFile, '/home/student/.tinytorch/progress.json');
  assert.is(config.workspace, null);
  assert.is(config.runTimeoutMs, null);
  assert.is(resolveConfig(sources({ env: { TINYTORCH_RUN_TIMEOUT_MS: '2500' } })).runTimeoutMs, 2500);
});

test("the default Python is the active virtual environment's, else python3", () => {
  assert.is(resolveConfig(sources({ env: { VIRTUAL_ENV: '/home/student/venv' } })).python, '/home/student/venv/bin/python');
  assert.is(resolveConfig(sources({ env: { VIRTUAL_ENV: '' } })).python, 'python3');
  assert.is(resolveConfig(sources({ env: { VIRTUAL_ENV: '/v', TINYTORCH_PYTHON: '/chosen' } })).python, '/chosen');
});

test('a checkout in the current directory is the workspace when nothing else names one, and brings its catalog', () => {
  const here = resolveConfig(sources({ checkoutHere: '/today' }));
  assert.is(here.workspace, '/today');
  assert.is(here.catalog, 'tinytorch');
  assert.is(resolveConfig(sources({ checkoutHere: '/today', env: { TINYTORCH_WORKSPACE: '/env/ws' } })).workspace, '/env/ws');
  assert.is(resolveConfig(sources({ checkoutHere: '/today', rootPath: '/editor' })).workspace, '/editor');
});

test("a run's limit: the request's, the user's setting, the milestone's own, then ten minutes", () => {
  assert.is(runTimeoutFor({ runTimeoutMs: null }, {}), DEFAULT_RUN_TIMEOUT_MS);
  assert.is(runTimeoutFor({ runTimeoutMs: null }, { timeoutMs: 2_700_000 }), 2_700_000);
  assert.is(runTimeoutFor({ runTimeoutMs: 5000 }, { timeoutMs: 2_700_000 }), 5000);
  assert.is(runTimeoutFor({ runTimeoutMs: 5000 }, { timeoutMs: 2_700_000 }, 10), 10);
});

test.run();
