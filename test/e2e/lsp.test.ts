// The sidecar as an LSP server for editors: commands, pop-ups per kind of client, progress bars, and the client watchdog.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMAND_METHODS, InitializeRequest, ProgressRequest, RunRequest } from '../../protocol/index.js';
import { isAlive, isGoneWithin } from '../helpers/process.js';
import { BIN, Sidecar, type RpcMessage } from '../helpers/rpc-client.js';

const TESTS = `
import os, subprocess, sys, time

def test_pass():
    for step in range(3):
        print(f"training step {step}", flush=True)
    return True

def test_hangs():
    sleeper = subprocess.Popen(["sleep", "300"])
    with open("grandchild.pid.tmp", "w") as file:
        file.write(str(sleeper.pid))
    os.replace("grandchild.pid.tmp", "grandchild.pid")
    time.sleep(3600)
`;

const milestone = (id: string, name: string, test: string, requires: string[]) => ({
  id,
  name,
  description: `The ${id} fixture`,
  unlockMessage: `${name} is yours to verify`,
  requires,
  verify: { pytest: `tests/test_fixture.py::${test}` },
});

/** What real clients declare, reduced to what the sidecar reads. */
const CLIENTS = {
  neovim: { window: { workDoneProgress: true, showMessage: { messageActionItem: { additionalPropertiesSupport: false } } } },
  eglot: { workspace: { executeCommand: { dynamicRegistration: false } } },
  vscodeExtension: { window: { workDoneProgress: true, showMessage: {} }, experimental: { milestones: { notifications: true } } },
} as const;

let folder = '';
let workspace = '';
const sidecars: Sidecar[] = [];
const others: ChildProcess[] = [];
/** Detached processes that hold a sidecar's pipes (fixtures/editor-parent.mjs): killed by pid. */
const holders: number[] = [];
const EDITOR_PARENT = fileURLToPath(new URL('../fixtures/editor-parent.mjs', import.meta.url));

function start(args: string[] = []): Sidecar {
  const sidecar = new Sidecar({
    args: ['--progress-file', join(folder, 'progress.json'), '--catalog', join(folder, 'catalog.json'), '--workspace', workspace, ...args],
    env: { TINYTORCH_WORKSPACE: '', TINYTORCH_EXPORTS: '', PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' },
  });
  sidecars.push(sidecar);
  return sidecar;
}

async function initialize(sidecar: Sidecar, capabilities: object, initializationOptions: object = {}, processId: number = process.pid): Promise<RpcMessage> {
  const answer = await sidecar.request('initialize', { processId, rootUri: null, capabilities, initializationOptions, clientInfo: { name: 'test' } });
  sidecar.notify('initialized', {});
  return answer;
}

/** A stand-in editor process: the sidecar is told its pid, and the test kills it. */
function startEditor(): ChildProcess {
  const editor = spawn('sleep', ['600'], { stdio: 'ignore' });
  others.push(editor);
  return editor;
}

async function grandchildPid(): Promise<number> {
  const file = join(workspace, 'grandchild.pid');
  for (let waited = 0; waited < 30_000; waited += 20) {
    if (existsSync(file)) return Number(readFileSync(file, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the hanging test never started its grandchild');
}

/** Unlocks `first` (its one module) and returns once the request is answered: any pop-up was written before the answer. */
async function unlockFirst(sidecar: Sidecar): Promise<void> {
  const answer = await sidecar.request('milestones/checkExport', { module: '02_autograd' });
  assert.equal(answer.result?.newlyUnlocked, ['first']);
}

test.before.each(() => {
  folder = mkdtempSync(join(tmpdir(), 'ttm-lsp-'));
  workspace = join(folder, 'workspace');
  mkdirSync(join(workspace, 'tests'), { recursive: true });
  writeFileSync(join(workspace, 'tests', 'test_fixture.py'), TESTS);
  writeFileSync(
    join(folder, 'catalog.json'),
    JSON.stringify({
      name: 'fixture',
      honestReturns: true,
      milestones: [
        milestone('first', '1957 - First', 'test_pass', ['02_autograd']),
        milestone('pass', '1969 - Pass', 'test_pass', ['01_tensor']),
        milestone('hang', '1986 - Hang', 'test_hangs', ['01_tensor']),
      ],
    }),
  );
  writeFileSync(join(folder, 'progress.json'), JSON.stringify({ completed_modules: ['01_tensor'], unlocked_milestones: ['pass', 'hang'], completed_milestones: [] }, null, 2));
});
test.after.each(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.dispose()));
  for (const child of others.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of holders.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

test('initialize advertises every command beside experimental.milestones; each command answers as its request does', async () => {
  const sidecar = start();
  const init = InitializeRequest.result.parse((await initialize(sidecar, CLIENTS.neovim)).result);
  assert.equal(init.capabilities.executeCommandProvider, {
    commands: [
      'tinytorch.milestones.progress',
      'tinytorch.milestones.list',
      'tinytorch.milestones.run',
      'tinytorch.milestones.checkExport',
      'tinytorch.milestones.rescan',
      'tinytorch.milestones.reset',
      'tinytorch.milestones.markCompleted',
    ],
  });
  assert.equal(init.capabilities.experimental.milestones, { protocolVersion: 1, catalog: join(folder, 'catalog.json') });

  const direct = ProgressRequest.result.parse((await sidecar.request('milestones/progress')).result);
  const viaCommand = ProgressRequest.result.parse((await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.progress', arguments: [{}] })).result);
  assert.equal(viaCommand, direct);
  // An empty Lua or Lisp table arrives as []: no params, as no arguments at all.
  assert.equal(ProgressRequest.result.parse((await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.progress', arguments: [[]] })).result), direct);
  // No arguments at all is `{}`, as for a request without params.
  assert.equal(
    (await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.list' })).result.tests.map((entry: { id: string }) => entry.id),
    ['pass', 'hang'],
  );

  const exported = await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.checkExport', arguments: [{ module: '02_autograd' }] });
  assert.equal(exported.result.newlyUnlocked, ['first']);
  assert.equal(JSON.parse(readFileSync(join(folder, 'progress.json'), 'utf8')).unlocked_milestones, ['pass', 'hang', 'first'], 'on disk before the answer');
  const marked = await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.markCompleted', arguments: [{ id: 'first' }] });
  assert.is(marked.result.newlyCompleted, true);
  const reset = await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.reset', arguments: [{ module: '02_autograd' }] });
  assert.is(reset.result.wasCompleted, true);
  const rescan = await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.rescan', arguments: [{}] });
  assert.type(rescan.result.text, 'string');
  const run = RunRequest.result.parse((await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.run', arguments: [{ id: 'pass' }] }, 60_000)).result);
  assert.is(run.passed, true);

  const unknown = await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.nope', arguments: [{}] });
  assert.is(unknown.error?.code, -32602);
  assert.match(unknown.error?.message ?? '', 'tinytorch.milestones.progress');
  const badArgument = await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.checkExport', arguments: [{ module: 'Tensor!' }] });
  assert.is(badArgument.error?.code, -32602);
  assert.is(Object.keys(COMMAND_METHODS).length, 7);
});

test('requests after shutdown get -32600, commands included; exit then ends with 0', async () => {
  const sidecar = start();
  await initialize(sidecar, CLIENTS.neovim);
  assert.is((await sidecar.request('shutdown')).result, null);
  assert.is((await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.progress', arguments: [{}] })).error?.code, -32600);
  assert.is((await sidecar.request('milestones/progress')).error?.code, -32600);
  sidecar.notify('exit');
  assert.is((await sidecar.waitExit(5000)).code, 0);
});

test('unknown notifications are ignored silently, $/setTrace is accepted, unknown requests get -32601', async () => {
  const sidecar = start();
  await initialize(sidecar, CLIENTS.eglot);
  sidecar.notify('$/setTrace', { value: 'verbose' });
  sidecar.notify('textDocument/didOpen', { textDocument: { uri: 'file:///x.py', languageId: 'python', version: 1, text: '' } });
  sidecar.notify('workspace/didChangeConfiguration', { settings: {} });
  const symbols = await sidecar.request('textDocument/documentSymbol', { textDocument: { uri: 'file:///x.py' } });
  assert.is(symbols.error?.code, -32601);
  assert.ok((await sidecar.request('milestones/progress')).result);
  const unexpected = sidecar.messages.filter((message) => message.id === null || (message.method !== undefined && message.method !== 'window/logMessage'));
  assert.equal(unexpected, [], 'no error and nothing else in answer to the notifications');
});

test('popups "auto": Neovim-like and eglot-like clients get window/showMessage (Info) with the message; the VS Code extension gets only our notification', async () => {
  for (const [kind, capabilities, expected] of [
    ['neovim', CLIENTS.neovim, 1],
    ['eglot (declares no window capability)', CLIENTS.eglot, 1],
    ['vscode extension (handles milestones/unlocked)', CLIENTS.vscodeExtension, 0],
  ] as const) {
    writeFileSync(join(folder, 'progress.json'), JSON.stringify({ completed_modules: ['01_tensor'], unlocked_milestones: ['pass', 'hang'], completed_milestones: [] }));
    const sidecar = start();
    await initialize(sidecar, capabilities);
    await unlockFirst(sidecar);
    assert.is(sidecar.notifications('milestones/unlocked').length, 1, `${kind}: milestones/unlocked is always sent`);
    const shown = sidecar.notifications('window/showMessage');
    assert.is(shown.length, expected, `${kind}: window/showMessage`);
    if (expected) {
      assert.is(shown[0]?.params.type, 3);
      assert.is(shown[0]?.params.message, sidecar.notifications('milestones/unlocked')[0]?.params.message);
      assert.match(shown[0]?.params.message, '1957 - First');
    }
    await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.markCompleted', arguments: [{ id: 'first' }] });
    assert.is(sidecar.notifications('window/showMessage').length, expected * 2, `${kind}: a completion pops up as an unlock does`);
    assert.equal(
      sidecar.messages.filter((message) => message.method === 'window/showMessageRequest'),
      [],
      'never a showMessageRequest',
    );
    await sidecar.dispose();
  }
});

test('popups "showMessage" always pops up, "none" never; a client without initialize gets none; the old values are refused', async () => {
  for (const [popups, capabilities, expected] of [
    ['showMessage', CLIENTS.vscodeExtension, 1],
    ['none', CLIENTS.neovim, 0],
    [null, null, 0],
  ] as const) {
    writeFileSync(join(folder, 'progress.json'), JSON.stringify({ completed_modules: ['01_tensor'], unlocked_milestones: ['pass', 'hang'], completed_milestones: [] }));
    const sidecar = start();
    if (capabilities) await initialize(sidecar, capabilities, { popups });
    await unlockFirst(sidecar);
    assert.is(sidecar.notifications('milestones/unlocked').length, 1);
    assert.is(sidecar.notifications('window/showMessage').length, expected, `popups ${popups}`);
    await sidecar.dispose();
  }
  for (const removed of ['notification', 'modal']) {
    const sidecar = start();
    const answer = await sidecar.request('initialize', { processId: process.pid, capabilities: {}, initializationOptions: { popups: removed } });
    assert.is(answer.error?.code, -32602, `popups "${removed}" is no longer a value`);
    await sidecar.dispose();
  }
});

test('a run for a client with window.workDoneProgress: create (answered late), then $/progress begin, report, end before the answer', async () => {
  const sidecar = start();
  await initialize(sidecar, CLIENTS.neovim);
  const id = sidecar.post('milestones/run', { id: 'pass' });
  const create = await sidecar.waitFor((message) => message.method === 'window/workDoneProgress/create' && message.id !== undefined, 30_000, 'window/workDoneProgress/create');
  const token = create.params.token;
  // The run does not wait on the client: progress is already flowing before the create is answered.
  await sidecar.waitFor((message) => message.method === '$/progress' && message.params.token === token, 30_000, 'the first $/progress');
  sidecar.send({ jsonrpc: '2.0', id: create.id, result: null });
  const answer = await sidecar.response(id, 60_000);
  assert.is(RunRequest.result.parse(answer.result).passed, true);

  const at = (message: RpcMessage) => sidecar.messages.indexOf(message);
  const progress = sidecar.notifications('$/progress');
  assert.ok(progress.every((message) => message.params.token === token));
  assert.ok(at(create) < at(progress[0]!), 'the token is created before its first use');
  const kinds = progress.map((message) => message.params.value.kind);
  assert.is(kinds[0], 'begin');
  assert.is(kinds.at(-1), 'end');
  assert.ok(kinds.slice(1, -1).every((kind) => kind === 'report') && kinds.length > 2, `begin, report..., end: ${kinds}`);
  assert.match(progress[0]!.params.value.title, '1969 - Pass');
  assert.is(progress[0]!.params.value.cancellable, true);
  const reports = progress.slice(1, -1).map((message) => message.params.value.message as string);
  assert.ok(
    reports.some((line) => /training step 2|passed/.test(line)),
    `the latest output line: ${reports.join(' | ')}`,
  );
  assert.is(progress.at(-1)!.params.value.message, 'Passed');
  assert.ok(at(progress.at(-1)!) < at(answer), 'end comes before the answer');
});

test('a client that never answers window/workDoneProgress/create (ALE) still gets its run; a request token is used as is', async () => {
  const sidecar = start();
  await initialize(sidecar, CLIENTS.neovim);
  const answer = await sidecar.request('milestones/run', { id: 'pass' }, 60_000);
  assert.is(answer.result?.passed, true);
  const own = await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.run', arguments: [{ id: 'pass' }], workDoneToken: 'mine' }, 60_000);
  assert.is(own.result?.passed, true);
  assert.is(sidecar.messages.filter((message) => message.method === 'window/workDoneProgress/create').length, 1, 'no token is created when the request brings one');
  assert.ok(sidecar.notifications('$/progress').some((message) => message.params.token === 'mine' && message.params.value.kind === 'end'));
  const eglot = start();
  await initialize(eglot, CLIENTS.eglot);
  assert.is((await eglot.request('milestones/run', { id: 'pass' }, 60_000)).result?.passed, true);
  assert.equal(eglot.notifications('$/progress'), [], 'no bar for a client that declared no window.workDoneProgress');
});

test('window/workDoneProgress/cancel cancels the run: -32800, its process group killed, the sidecar goes on', async () => {
  const sidecar = start();
  await initialize(sidecar, CLIENTS.neovim);
  const id = sidecar.post('milestones/run', { id: 'hang', timeoutMs: 120_000 });
  const create = await sidecar.waitFor((message) => message.method === 'window/workDoneProgress/create', 30_000);
  sidecar.send({ jsonrpc: '2.0', id: create.id, result: null });
  const pid = await grandchildPid();
  sidecar.notify('window/workDoneProgress/cancel', { token: create.params.token });
  assert.is((await sidecar.response(id, 10_000)).error?.code, -32800);
  assert.ok(await isGoneWithin(pid, 2000), `grandchild ${pid} survived the cancel`);
  assert.is(sidecar.notifications('$/progress').at(-1)?.params.value.kind, 'end');
  assert.ok((await sidecar.request('milestones/progress')).result, 'the sidecar goes on');
});

test("watchdog: when initialize.processId dies during a run, the sidecar and the run's process group are gone within 2 s", async () => {
  const editor = startEditor();
  const sidecar = start();
  await initialize(sidecar, CLIENTS.neovim, {}, editor.pid!);
  sidecar.post('milestones/run', { id: 'hang', timeoutMs: 120_000 });
  const pid = await grandchildPid();
  editor.kill('SIGKILL');
  const killedAt = Date.now();
  await sidecar.waitExit(2000);
  assert.ok(await isGoneWithin(pid, Math.max(0, 2000 - (Date.now() - killedAt))), `grandchild ${pid} outlived the editor by 2 s`);
  assert.match(sidecar.stderr, `process ${editor.pid}`);
});

test('watchdog: killing the editor that started the sidecar, while helpers keep its pipes open, ends it and its run within 2 s', async () => {
  const parent = spawn(
    process.execPath,
    [EDITOR_PARENT, BIN, '--progress-file', join(folder, 'progress.json'), '--catalog', join(folder, 'catalog.json'), '--workspace', workspace],
    {
      env: { ...process.env, TINYTORCH_WORKSPACE: '', TINYTORCH_EXPORTS: '', PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  others.push(parent);
  const line = await new Promise<string>((resolve) => parent.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8'))));
  const { sidecar, holder } = JSON.parse(line) as { sidecar: number; holder: number };
  holders.push(holder);
  const pid = await grandchildPid();
  assert.ok(isAlive(sidecar) && isAlive(holder));
  parent.kill('SIGKILL');
  const killedAt = Date.now();
  assert.ok(await isGoneWithin(sidecar, 2000), `the sidecar ${sidecar} outlived its editor by 2 s`);
  assert.ok(await isGoneWithin(pid, Math.max(0, 2000 - (Date.now() - killedAt))), `grandchild ${pid} outlived the editor by 2 s`);
  assert.ok(isAlive(holder), 'the pipes stayed open: the watchdog ended it, not end of input');
});

test('watchdog: --clientProcessId works without initialize, during a long request', async () => {
  const editor = startEditor();
  const sidecar = start(['--clientProcessId', String(editor.pid)]);
  sidecar.post('milestones/run', { id: 'hang', timeoutMs: 120_000 });
  const pid = await grandchildPid();
  assert.ok(isAlive(sidecar.child.pid!));
  editor.kill('SIGKILL');
  await sidecar.waitExit(2000);
  assert.ok(await isGoneWithin(pid, 1000), `grandchild ${pid} survived`);
  const bad = start(['--clientProcessId', 'editor']);
  const exit = await bad.waitExit(5000);
  assert.is(exit.code, 2);
  assert.match(bad.stderr, '--clientProcessId expects a process id');
});

test.run();
