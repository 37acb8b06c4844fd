// The built command's start-up (issue 9 (a)): one CommonJS file, compiled with the V8 code cache the build made, and
// what a session that neither runs nor watches does not need (execa, chokidar, node:child_process) left unloaded.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProgressRequest } from '../../protocol/index.js';
import { BIN, Sidecar } from '../helpers/rpc-client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOADED = fileURLToPath(new URL('../fixtures/loaded-files.cjs', import.meta.url));

let folder = '';
const sidecars: Sidecar[] = [];
const start = (options: ConstructorParameters<typeof Sidecar>[0] = {}) => {
  const sidecar = new Sidecar({
    ...options,
    args: ['--progress-file', join(folder, 'progress.json')],
    env: { TINYTORCH_WORKSPACE: '', TINYTORCH_CATALOG: 'seed', ...options.env },
  });
  sidecars.push(sidecar);
  return sidecar;
};
/** Whether this Node rejects the code cache beside the bundle of `bin` (V8 says so when it compiles). */
const cacheRejected = (bin: string) =>
  execFileSync(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(bin)}).load().script.cachedDataRejected))`], { encoding: 'utf8' });

test.before.each(() => {
  folder = mkdtempSync(join(tmpdir(), 'ttm-start-up-'));
});
test.after.each(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.dispose()));
  rmSync(folder, { recursive: true, force: true });
});

test('the Node that built the command accepts its code cache', () => {
  assert.is(cacheRejected(BIN), 'false');
});

test('a code cache this Node rejects (another V8) is ignored: the command compiles as usual and answers', async () => {
  const copy = join(folder, 'package');
  for (const part of ['bin', 'dist']) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
  writeFileSync(join(copy, 'dist', 'cli.cjs.cache'), Buffer.alloc(4096, 7));
  const bin = join(copy, 'bin', 'tinytorch-milestones.js');
  assert.is(cacheRejected(bin), 'true');
  const sidecar = start({ bin });
  const answer = await sidecar.request('milestones/progress');
  assert.is(ProgressRequest.result.parse(answer.result).catalog, 'seed');
  assert.equal(sidecar.strayStdout, '');
});

/** The dist/vendor/ files and Node built-in modules (`node:name`) a session loaded, read at its exit. */
async function loadedBy(session: (sidecar: Sidecar) => Promise<void>): Promise<string[]> {
  const out = join(folder, 'loaded.txt');
  const sidecar = start({ nodeArgs: ['-r', LOADED], env: { LOADED_FILES_OUT: out } });
  await session(sidecar);
  assert.is((await sidecar.request('shutdown')).result, null);
  sidecar.notify('exit');
  assert.is((await sidecar.waitExit(10_000)).code, 0);
  const vendor = join(ROOT, 'dist', 'vendor');
  return readFileSync(out, 'utf8')
    .split('\n')
    .flatMap((line) => (line.startsWith(vendor) ? [line.slice(vendor.length + 1)] : line.startsWith('NativeModule ') ? [`node:${line.slice('NativeModule '.length)}`] : []))
    .sort();
}

test('a one-call session loads neither execa, chokidar nor node:child_process; a watching one loads chokidar', async () => {
  const oneCall = await loadedBy(async (sidecar) => {
    assert.ok((await sidecar.request('milestones/progress')).result);
  });
  for (const unneeded of ['execa.cjs', 'chokidar.cjs', 'node:child_process']) assert.not.ok(oneCall.includes(unneeded), `${unneeded} in ${oneCall.join(', ')}`);
  const watching = await loadedBy(async (sidecar) => {
    await sidecar.initialize();
    assert.ok((await sidecar.request('milestones/progress')).result);
  });
  assert.ok(watching.includes('chokidar.cjs'), watching.join(', '));
  assert.not.ok(watching.includes('execa.cjs'), watching.join(', '));
});

test.run();
