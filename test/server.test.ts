// The router over the real connection, in memory: every method, every reachable error, notifications, lifecycle,
// framing and the drain at end of input. PassThrough streams stand for stdio; e2e/protocol.test.ts keeps a few
// smoke tests of the built binary.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CatalogRequest, CheckExportRequest, CompletedNotification, InitializeRequest, ListRequest, MarkCompletedRequest, ProgressRequest } from '../protocol/index.js';
import { paramsValidators, type ParamsValidator } from '../protocol/plain.js';
import type { Settings } from '../src/core/config.js';
import { routes } from '../src/server.js';
import { InMemorySidecar } from './helpers/in-memory-sidecar.js';
import { frame } from './helpers/rpc-peer.js';

let folder = '';
const sidecars: InMemorySidecar[] = [];
const progressFile = () => join(folder, 'progress.json');
const start = (flags: Settings = {}) => {
  const sidecar = new InMemorySidecar({ flags: { progressFile: progressFile(), ...flags } });
  sidecars.push(sidecar);
  return sidecar;
};

test.before.each(() => {
  folder = mkdtempSync(join(tmpdir(), 'ttm-server-'));
});
test.after.each(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.dispose()));
  rmSync(folder, { recursive: true, force: true });
});

test('progress, list, catalog and markCompleted answer in shape; seq is shared by unlocked and completed', async () => {
  writeFileSync(progressFile(), JSON.stringify({ completed_modules: ['00_setup', '01_tensor'], unlocked_milestones: [], completed_milestones: [] }));
  const sidecar = start();
  const before = ProgressRequest.result.parse((await sidecar.request('milestones/progress')).result);
  assert.is(before.catalog, 'seed');
  assert.equal(before.milestones[0], {
    id: 'perceptron',
    name: '1957 - The Perceptron',
    description: 'First learning algorithm with automatic weight updates',
    status: 'locked',
    requires: ['00_setup', '01_tensor', '02_autograd'],
    met: 2,
    missing: ['02_autograd'],
  });
  assert.equal(before.next, { id: 'perceptron', name: '1957 - The Perceptron', missing: ['02_autograd'] });
  assert.match(before.text, '2/3 modules');
  assert.is(ListRequest.result.parse((await sidecar.request('milestones/list')).result).text, 'No milestones unlocked yet. Complete more modules!');

  await sidecar.request('milestones/checkExport', { module: '2' }); // a bare number resolves through the catalog
  const tests = ListRequest.result.parse((await sidecar.request('milestones/list')).result).tests;
  assert.equal(tests, [
    {
      id: 'perceptron',
      name: '1957 - The Perceptron',
      description: 'First learning algorithm with automatic weight updates',
      command: 'pytest tests/milestones/test_learning_verification.py::test_perceptron_learning -v',
    },
  ]);

  const marked = MarkCompletedRequest.result.parse((await sidecar.request('milestones/markCompleted', { id: 'perceptron' })).result);
  assert.is(marked.newlyCompleted, true);
  const again = MarkCompletedRequest.result.parse((await sidecar.request('milestones/markCompleted', { id: 'perceptron' })).result);
  assert.is(again.newlyCompleted, false);
  const completed = CompletedNotification.params.parse((await sidecar.waitFor((message) => message.method === 'milestones/completed')).params);
  assert.is(completed.id, 'perceptron');
  assert.is(completed.seq, 2);
  assert.is(sidecar.notifications('milestones/completed').length, 1);
  assert.equal(ListRequest.result.parse((await sidecar.request('milestones/list')).result).tests, []);

  const catalog = CatalogRequest.result.parse((await sidecar.request('milestones/catalog')).result);
  assert.is(catalog.source, 'builtin:seed');
  assert.equal(
    catalog.milestones.map((milestone) => milestone.id),
    ['perceptron', 'xor', 'mlp_digits', 'cnn', 'transformer'],
  );
  const after = ProgressRequest.result.parse((await sidecar.request('milestones/progress')).result);
  assert.is(after.milestones[0]?.status, 'completed');
});

test('ifNew changes nothing for a completed module; without it, a completed module is re-checked', async () => {
  writeFileSync(progressFile(), JSON.stringify({ completed_modules: ['00_setup', '01_tensor', '02_autograd'], unlocked_milestones: [], completed_milestones: [] }, null, 2));
  const sidecar = start();
  const quiet = CheckExportRequest.result.parse((await sidecar.request('milestones/checkExport', { module: '02_autograd', ifNew: true })).result);
  assert.equal(quiet.newlyUnlocked, []);
  const rechecked = CheckExportRequest.result.parse((await sidecar.request('milestones/checkExport', { module: '02_autograd' })).result);
  assert.equal(rechecked.newlyUnlocked, ['perceptron']);
});

test('bad params get -32602 with readable messages, and nothing is written', async () => {
  const sidecar = start();
  const cases: Array<[string, unknown, string]> = [
    ['milestones/checkExport', { module: 42 }, 'received number'],
    ['milestones/checkExport', {}, 'received nothing'],
    ['milestones/checkExport', { module: '../x' }, '"../x"'],
    ['milestones/checkExport', { module: '' }, 'module name like "01_tensor"'],
    ['milestones/checkExport', { module: '9' }, 'matches no module'],
    ['milestones/checkExport', { module: 'x'.repeat(100_000) }, 'too long'],
    ['milestones/checkExport', [1, 2], 'expected object'],
    ['milestones/markCompleted', { id: '../../etc' }, 'milestone id'],
  ];
  for (const [method, params, expected] of cases) {
    const answer = await sidecar.request(method, params);
    assert.is(answer.error?.code, -32602, `${method} ${JSON.stringify(params).slice(0, 40)}`);
    assert.match(answer.error?.message ?? '', expected);
  }
  const withIssues = await sidecar.request('milestones/checkExport', { module: 42 });
  assert.ok(Array.isArray(withIssues.error?.data?.issues));
  assert.is(existsSync(progressFile()), false);
  // Fields the server does not know are ignored.
  const extra = await sidecar.request('milestones/checkExport', { module: '00_setup', workDoneToken: 'abc', somethingElse: 1 });
  assert.equal(extra.result?.newlyUnlocked, []);
});

test('a 7 MB module name is refused without being echoed back: the answer stays small', async () => {
  const sidecar = start();
  const answer = await sidecar.request('milestones/checkExport', { module: 'x'.repeat(7 * 1024 * 1024) }, 10_000);
  assert.is(answer.error?.code, -32602);
  assert.match(answer.error?.message ?? '', 'too long');
  assert.ok(JSON.stringify(answer).length < 4096, `the answer has ${JSON.stringify(answer).length} characters`);
});

test('unknown method, unknown milestone and a corrupt progress file get their codes and kinds', async () => {
  const sidecar = start();
  assert.is((await sidecar.request('milestones/doesNotExist')).error?.code, -32601);
  const unknown = await sidecar.request('milestones/markCompleted', { id: 'nope' });
  assert.is(unknown.error?.code, 1001);
  assert.is(unknown.error?.data?.kind, 'unknown-milestone');
  assert.is(existsSync(progressFile()), false, 'an unknown id saves nothing');

  writeFileSync(progressFile(), '{"completed_modules": ["00_se');
  const corrupt = await sidecar.request('milestones/progress', {}, 8000);
  assert.is(corrupt.error?.code, 1004);
  assert.is(corrupt.error?.data?.kind, 'progress-file-corrupt');
  assert.is(corrupt.error?.data?.path, progressFile());
  assert.is(readFileSync(corrupt.error?.data?.backup, 'utf8'), '{"completed_modules": ["00_se');
  assert.is(readFileSync(progressFile(), 'utf8'), '{"completed_modules": ["00_se', 'the file itself is left alone');
  const write = await sidecar.request('milestones/checkExport', { module: '00_setup' });
  assert.is(write.error?.code, 1004);
  assert.is(readFileSync(progressFile(), 'utf8'), '{"completed_modules": ["00_se');
});

test('initialize returns capabilities; a bad catalog in initializationOptions is catalog-invalid and the sidecar goes on', async () => {
  const sidecar = start();
  const bad = join(folder, 'bad-catalog.json');
  writeFileSync(bad, JSON.stringify({ name: 'bad', milestones: [{ id: 'a', name: 'A', description: '', unlockMessage: '', requires: [], verify: { pytest: 'x' } }] }));
  const refused = await sidecar.request('initialize', { processId: null, rootUri: null, capabilities: {}, initializationOptions: { catalog: bad } });
  assert.is(refused.error?.code, 1005);
  assert.is(refused.error?.data?.kind, 'catalog-invalid');
  assert.match(refused.error?.message ?? '', 'requires must name at least one module');
  const answer = InitializeRequest.result.parse((await sidecar.initialize({ catalog: 'tinytorch' })).result);
  assert.equal(answer.capabilities.experimental.milestones, { protocolVersion: 1, catalog: 'tinytorch' });
  assert.is(answer.serverInfo.name, 'tinytorch-milestones');
  const catalog = CatalogRequest.result.parse((await sidecar.request('milestones/catalog')).result);
  assert.is(catalog.source, 'builtin:tinytorch');
  assert.is(catalog.modules.length, 20);
});

test("initialize's rootUri names the workspace; today's layout (src/01_tensor/) selects the tinytorch catalog", async () => {
  const checkout = join(folder, 'TinyTorch');
  mkdirSync(join(checkout, 'src', '01_tensor'), { recursive: true });
  const sidecar = start();
  const answer = InitializeRequest.result.parse((await sidecar.initialize({}, pathToFileURL(checkout).href)).result);
  assert.is(answer.capabilities.experimental.milestones.catalog, 'tinytorch');
  // Bare numbers now resolve through today's module list.
  const recorded = CheckExportRequest.result.parse((await sidecar.request('milestones/checkExport', { module: '1' })).result);
  assert.is(recorded.newlyUnlocked[0], '01');
  assert.match(recorded.messages[0] ?? '', 'Perceptron (1957)');
});

test('params a generated validator refuses go to zod, and the messages after them wait: none overtakes them', async () => {
  // A validator may be stricter than zod: zod then decides (loaded on first need), and accepts these params.
  const validators = paramsValidators as Map<string, ParamsValidator>;
  const generated = validators.get('initialize')!;
  validators.set('initialize', { check: () => false, empty: false });
  try {
    const other = join(folder, 'other.json');
    writeFileSync(other, JSON.stringify({ completed_modules: ['00_setup', '01_tensor'], unlocked_milestones: [], completed_milestones: [] }));
    const sidecar = start();
    // Pipelined: the progress request must be served by the services initialize opens, as when no zod is awaited.
    const [init, progress] = await Promise.all([
      sidecar.request('initialize', { processId: null, capabilities: {}, initializationOptions: { progressFile: other } }),
      sidecar.request('milestones/progress'),
    ]);
    assert.ok(init.result, JSON.stringify(init.error));
    assert.equal(ProgressRequest.result.parse(progress.result).completedModules, ['00_setup', '01_tensor']);
    // zod's words for what it refuses, as before.
    const refused = await sidecar.request('milestones/reset', { module: 'tensor' });
    assert.is(refused.error?.code, -32602);
    assert.match(refused.error?.message ?? '', 'Invalid params for milestones/reset: ✖ expected a module name like "01_tensor"');
  } finally {
    validators.set('initialize', generated);
  }
});

test('a rootUri that names no local path is invalid params in one sentence, not a stack trace', async () => {
  const sidecar = start();
  for (const rootUri of ['file://otherhost/x', 'file:///tmp/%E0%A4%A']) {
    const answer = await sidecar.request('initialize', { processId: null, rootUri, capabilities: {} });
    assert.is(answer.error?.code, -32602, rootUri);
    assert.match(answer.error?.message ?? '', `rootUri ${JSON.stringify(rootUri)}`);
  }
  assert.not.match(sidecar.stderr, '    at ');
  assert.ok((await sidecar.initialize()).result, 'a good initialize still works');
});

test('shutdown and exit sent back to back still deliver the shutdown answer', async () => {
  const sidecar = start();
  await sidecar.initialize();
  const id = sidecar.post('shutdown');
  sidecar.notify('exit');
  assert.is((await sidecar.response(id)).result, null);
  assert.is((await sidecar.waitExit()).code, 0);
});

test('end of input right behind initialize still counts the initialize: exit 1 without shutdown, 0 with it', async () => {
  const abrupt = start();
  abrupt.post('initialize', { processId: null, rootUri: null, capabilities: {} });
  abrupt.endInput();
  assert.is((await abrupt.waitExit()).code, 1);
  const clean = start();
  clean.post('initialize', { processId: null, rootUri: null, capabilities: {} });
  clean.post('shutdown');
  clean.endInput();
  assert.is((await clean.waitExit()).code, 0);
});

test('a second initialize is refused and changes nothing', async () => {
  const sidecar = start();
  await sidecar.initialize({ catalog: 'seed' });
  const again = await sidecar.request('initialize', { processId: null, rootUri: null, capabilities: {}, initializationOptions: { catalog: 'tinytorch' } });
  assert.is(again.error?.code, -32600);
  const catalog = await sidecar.request('milestones/catalog');
  assert.is(catalog.result?.source, 'builtin:seed');
});

test('end of input after initialize without shutdown exits with 1', async () => {
  const sidecar = start();
  await sidecar.initialize();
  sidecar.endInput();
  assert.is((await sidecar.waitExit()).code, 1);
});

test('framing: junk is skipped, LF-only headers work, bad JSON gets -32700, an oversized message is skipped with id null', async () => {
  const sidecar = start();
  sidecar.sendRaw('this is not a header\r\n');
  assert.ok((await sidecar.request('milestones/progress')).result);
  const body = JSON.stringify({ jsonrpc: '2.0', id: 'lf', method: 'milestones/list', params: {} });
  sidecar.sendRaw(`Content-Length: ${Buffer.byteLength(body)}\n\n${body}`);
  assert.ok((await sidecar.response('lf')).result);
  sidecar.sendRaw('Content-Length: 5\r\n\r\n{oops');
  const parseError = await sidecar.waitFor((message) => message.error?.code === -32700);
  assert.is(parseError.id, null);

  const huge = frame({ jsonrpc: '2.0', id: 'huge', method: 'milestones/checkExport', params: { module: 'x'.repeat(10 * 1024 * 1024) } });
  sidecar.sendRaw(huge);
  const skipped = await sidecar.waitFor((message) => message.id === null && message.error?.code === -32600, 10_000);
  assert.match(skipped.error?.message ?? '', '8 MiB');
  assert.ok((await sidecar.request('milestones/progress')).result, 'reading goes on at the next message');
  assert.not.ok(sidecar.messages.some((message) => message.id === 'huge'));
  assert.equal(sidecar.strayStdout, '');
});

test('a $/cancelRequest without an id is ignored, not a crash', async () => {
  const sidecar = start();
  for (const params of [null, undefined, 5]) sidecar.notify('$/cancelRequest', params);
  assert.ok((await sidecar.request('milestones/progress')).result, 'the sidecar is still answering');
});

test('a progress file that cannot be written is one clear sentence, and the sidecar goes on', async () => {
  // Root may write anywhere, so a folder that cannot exist stands for an unwritable one (/proc refuses new folders).
  const sidecar = start({ progressFile: '/proc/self/no-such-folder/progress.json' });
  const answer = await sidecar.request('milestones/checkExport', { module: '00_setup' });
  assert.is(answer.error?.code, -32603);
  assert.match(answer.error?.message ?? '', 'Cannot write the progress file /proc/self/no-such-folder/progress.json');
  assert.not.match(sidecar.stderr, '    at ');
  assert.ok((await sidecar.request('milestones/progress')).result, 'reads still work');
});

test('a progress file that is a folder is one clear sentence, not a stack trace, and the sidecar goes on', async () => {
  mkdirSync(progressFile());
  const sidecar = start();
  const answer = await sidecar.request('milestones/progress');
  assert.is(answer.error?.code, -32603);
  assert.match(answer.error?.message ?? '', `Cannot read the progress file ${progressFile()} (it is a folder)`);
  assert.not.match(sidecar.stderr, '    at ');
  assert.ok((await sidecar.request('milestones/catalog')).result, 'the sidecar goes on');
});

test('a bad catalog at start-up refuses to start, naming every problem', async () => {
  const bad = join(folder, 'dup.json');
  const milestone = { id: 'a', name: 'A', description: '', unlockMessage: '', requires: ['01_tensor'], verify: { pytest: 'x' } };
  writeFileSync(bad, JSON.stringify({ name: 'dup', milestones: [milestone, milestone] }));
  const sidecar = start({ catalog: bad });
  try {
    await sidecar.started;
    assert.unreachable('a session with a bad catalog does not start');
  } catch (error) {
    assert.match((error as Error).message, 'duplicate milestone id "a"');
  }
});

test('shutdown then exit ends with 0; exit without shutdown ends with 1; requests after shutdown are refused', async () => {
  const clean = start();
  await clean.initialize();
  assert.is((await clean.request('shutdown')).result, null);
  assert.is((await clean.request('milestones/progress')).error?.code, -32600);
  clean.notify('exit');
  assert.is((await clean.waitExit()).code, 0);

  const abrupt = start();
  await abrupt.initialize();
  abrupt.notify('exit');
  assert.is((await abrupt.waitExit()).code, 1);
});

test('piped requests followed by end of input are all answered, in order of effect, then the session ends with 0', async () => {
  const sidecar = start();
  const ids = ['00_setup', '01_tensor', '02_autograd', '03_nn'].map((module) => sidecar.post('milestones/checkExport', { module }));
  ids.push(sidecar.post('milestones/progress'), sidecar.post('milestones/list'), sidecar.post('milestones/nothing'));
  sidecar.endInput();
  assert.is((await sidecar.waitExit()).code, 0, 'no initialize: exit code 0');
  for (const id of ids)
    assert.ok(
      sidecar.messages.some((message) => message.id === id && message.method === undefined),
      `answer to ${id}`,
    );
  const progress = ProgressRequest.result.parse(sidecar.messages.find((message) => message.id === ids[4])?.result);
  assert.is(progress.milestones[1]?.status, 'unlocked', 'a read after pipelined writes sees them');
  assert.is(sidecar.notifications('milestones/unlocked').length, 2);
});

test('every handler that takes a signal is routed as cancellable: none is handed one that never aborts', () => {
  for (const [method, route] of routes) assert.is(route.cancellable, route.handle.length > 2, method);
  assert.ok(routes.get('milestones/run')?.cancellable);
});

test.run();
