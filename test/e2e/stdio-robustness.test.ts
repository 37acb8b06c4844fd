// The built sidecar against a hostile or careless client: junk, pipelined initializes, a closed stdout, an unread stdout, end of input.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hangingRun, type HangingRun } from '../helpers/hanging-run.js';
import { isGoneWithin } from '../helpers/process.js';
import { frame, Sidecar } from '../helpers/rpc-client.js';

let folder = '';
const sidecars: Sidecar[] = [];
const cleanups: Array<() => void> = [];
const progressFile = () => join(folder, 'progress.json');
const start = (args: string[] = []) => {
  const sidecar = new Sidecar({ args: ['--progress-file', progressFile(), ...args], env: { TINYTORCH_WORKSPACE: '', TINYTORCH_CATALOG: '' } });
  sidecars.push(sidecar);
  return sidecar;
};
const hanging = (): HangingRun => {
  const run = hangingRun();
  cleanups.push(() => run.dispose());
  return run;
};

test.before.each(() => {
  folder = mkdtempSync(join(tmpdir(), 'ttm-robust-'));
});
test.after.each(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.dispose()));
  for (const cleanup of cleanups.splice(0)) cleanup();
  rmSync(folder, { recursive: true, force: true });
});

test('junk of 60 KB in one write, then a body cut short by the next header: both requests behind them are answered', async () => {
  const sidecar = start();
  sidecar.sendRaw(Buffer.concat([Buffer.alloc(60 * 1024, 'j'), frame({ jsonrpc: '2.0', id: 'after-junk', method: 'milestones/catalog', params: {} })]));
  assert.ok((await sidecar.response('after-junk', 20_000)).result);
  sidecar.sendRaw(
    Buffer.concat([Buffer.from('Content-Length: 5000\r\n\r\n{"jsonrpc":"2.0"'), frame({ jsonrpc: '2.0', id: 'after-cut', method: 'milestones/catalog', params: {} })]),
  );
  assert.ok((await sidecar.response('after-cut', 20_000)).result);
  const cut = sidecar.messages.find((message) => message.error?.code === -32700);
  assert.is(cut?.id, null);
  assert.match(cut?.error?.message ?? '', 'announced as 5000 bytes');
  assert.equal(sidecar.strayStdout, '');
});

test('a bad frame piped in and then end of input: its -32700 is written before the exit', async () => {
  for (const input of ['Content-Length: 5\r\n\r\n{oops', 'Content-Length: 50\r\n\r\n{"jsonrpc":"2.0"', '[]garbage Content-Length: 2\r\n\r\n[]']) {
    const sidecar = start();
    sidecar.child.stdin.end(input);
    assert.is((await sidecar.waitExit(20_000)).code, 0);
    assert.is(sidecar.messages.length, 1, JSON.stringify(input));
    assert.is(sidecar.messages[0]?.id, null);
    assert.ok([-32700, -32600].includes(sidecar.messages[0]?.error?.code ?? 0), JSON.stringify(sidecar.messages[0]));
  }
});

test('pipelined requests with one id (5, then "5"): each gets one answer, and end of input still ends the process', async () => {
  const sidecar = start();
  sidecar.send({ jsonrpc: '2.0', id: 5, method: 'milestones/progress', params: {} });
  sidecar.send({ jsonrpc: '2.0', id: '5', method: 'milestones/list', params: {} });
  sidecar.endInput();
  assert.is((await sidecar.waitExit(20_000)).code, 0);
  const answers = sidecar.messages.filter((message) => message.method === undefined);
  assert.ok(answers.find((message) => message.id === 5)?.result, 'the first is answered');
  assert.is(answers.find((message) => message.id === '5')?.error?.code, -32600, 'the second is refused');
});

test("two pipelined initialize requests: the second is refused with -32600 and the first one's settings hold", async () => {
  // Catalog files: reading them takes a turn of the event loop, in which the second request is dispatched.
  const seed = readFileSync(fileURLToPath(new URL('../../src/core/catalogs/seed.json', import.meta.url)), 'utf8');
  const catalogs = ['first', 'second'].map((name) => join(folder, `${name}.json`));
  for (const file of catalogs) writeFileSync(file, seed);
  for (let attempt = 0; attempt < 3; attempt++) {
    const sidecar = start();
    const params = (catalog: string) => ({ processId: null, rootUri: null, capabilities: {}, initializationOptions: { catalog } });
    const first = sidecar.post('initialize', params(catalogs[0]!));
    const second = sidecar.post('initialize', params(catalogs[1]!));
    const catalog = sidecar.post('milestones/catalog');
    assert.ok((await sidecar.response(first, 20_000)).result, 'the first is answered');
    assert.is((await sidecar.response(second, 20_000)).error?.code, -32600);
    assert.is((await sidecar.response(catalog, 20_000)).result?.source, catalogs[0], 'a request behind initialize sees its settings');
  }
});

test('end of input cancels a run only: a request failing on its own keeps its real error', async () => {
  const holder = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../fixtures/lock-holder.ts', import.meta.url)), `${progressFile()}.lock`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => holder.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (bytes: Buffer) => bytes.toString().includes('locked') && resolve());
    holder.once('exit', () => reject(new Error('the lock holder exited')));
  });
  const sidecar = start();
  const id = sidecar.post('milestones/checkExport', { module: '00_setup' });
  sidecar.endInput();
  const answer = await sidecar.response(id, 60_000);
  assert.is.not(answer.error?.code, -32800, JSON.stringify(answer));
  assert.match(answer.error?.message ?? '', 'lock');
  assert.is((await sidecar.waitExit(20_000)).code, 0);
});

test('a client that stops reading stdout: input is paused, memory stays bounded, and nothing is lost', async () => {
  const sidecar = new Sidecar({ args: ['--progress-file', progressFile()], env: { TINYTORCH_WORKSPACE: '', TINYTORCH_CATALOG: '', TINYTORCH_MILESTONES_DEBUG: '1' } });
  sidecars.push(sidecar);
  sidecar.child.stdout.pause();
  const count = 8_000;
  const body = (id: number) => frame({ jsonrpc: '2.0', id, method: 'milestones/catalog', params: {} });
  sidecar.child.stdin.write(Buffer.concat(Array.from({ length: count }, (_, index) => body(index + 1))));
  // The sidecar says when it stops reading; the input it did not read stays with us.
  for (let waited = 0; !sidecar.stderr.includes('input paused') && waited < 120_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(sidecar.stderr, 'input paused');
  assert.ok(sidecar.child.stdin.writableLength > 0, 'the sidecar stopped reading its input');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${sidecar.child.pid}/status`, 'utf8'))?.[1]) / 1024;
  assert.ok(rss < 300, `the sidecar holds ${rss.toFixed(0)} MB`);
  sidecar.child.stdout.resume();
  const answers = () => sidecar.messages.filter((message) => message.id !== undefined && message.method === undefined);
  for (let waited = 0; answers().length < count && waited < 300_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  const ids = new Set(answers().map((message) => message.id));
  for (let id = 1; id <= count; id++) assert.ok(ids.has(id), `answer ${id}`);
  assert.ok(
    answers().every((message) => message.result),
    'every answer is a result',
  );
});

test('a client that closes our stdout (EPIPE): a quiet exit, no stack trace, and the run is killed', async () => {
  const run = hanging();
  const sidecar = run.start();
  sidecars.push(sidecar);
  sidecar.post('milestones/run', { id: 'hang' });
  const pids = await run.pids();
  // The setsid grandchild is the runner's to kill (issue 10 B4, test/e2e/orphans.test.ts): never leave it behind here.
  cleanups.push(() => {
    try {
      process.kill(pids.detached, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  sidecar.child.stdout.destroy();
  sidecar.post('milestones/progress');
  const exit = await sidecar.waitExit(20_000);
  assert.is(exit.code, 0);
  assert.not.match(sidecar.stderr, 'Unhandled');
  assert.not.match(sidecar.stderr, '    at ');
  assert.ok(await isGoneWithin(pids.script, 5000), 'the run script is gone');
  assert.ok(await isGoneWithin(pids.child, 5000), 'its child is gone');
});

test.run();
