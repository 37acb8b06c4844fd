// zod stays off the start-up path: the built sidecar answers what clients send without loading it, and loads it for the
// first params its generated validators refuse (zod then writes the error message).
//
// How "loaded" is seen: test/fixtures/zod-probe.mjs, preloaded with `node --import`, reports at exit whether zod's core
// ran (it sets globalThis.__zod_globalConfig). That works whatever the bundle's shape (chunks, one file, CommonJS) and
// needs nothing from the sidecar; the second test shows the probe seeing zod, so it cannot pass by going blind.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sidecar } from '../helpers/rpc-client.js';

const PROBE = fileURLToPath(new URL('../fixtures/zod-probe.mjs', import.meta.url));
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
/** Recorded from real clients (test/protocol/validators.test.ts checks each takes the generated validator). */
const CORPUS: Array<{ client: string; method: string; params?: unknown }> = JSON.parse(readFileSync(new URL('../fixtures/client-requests.json', import.meta.url), 'utf8'));
const vscode = CORPUS.find((request) => request.client === 'VS Code extension' && request.method === 'initialize')!.params as { initializationOptions: object };

let folder = '';
const sidecars: Sidecar[] = [];
const start = () => {
  const sidecar = new Sidecar({ nodeArgs: ['--import', PROBE], args: ['--progress-file', join(folder, 'progress.json')], env: { TINYTORCH_WORKSPACE: '', TINYTORCH_CATALOG: '' } });
  sidecars.push(sidecar);
  return sidecar;
};
/** Ends the session as an editor does and returns what the probe saw. */
async function zodAtExit(sidecar: Sidecar): Promise<string> {
  assert.is((await sidecar.request('shutdown')).result, null);
  sidecar.notify('exit');
  assert.equal(await sidecar.waitExit(), { code: 0, signal: null });
  return /zod-probe: (\w+)/.exec(sidecar.stderr)?.[1] ?? `no probe line in ${JSON.stringify(sidecar.stderr)}`;
}

test.before.each(() => {
  folder = mkdtempSync(join(tmpdir(), 'ttm-zod-'));
  writeFileSync(join(folder, 'progress.json'), JSON.stringify({ completed_modules: ['00_setup', '01_tensor'], unlocked_milestones: [], completed_milestones: [] }));
});
test.after.each(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.dispose()));
  rmSync(folder, { recursive: true, force: true });
});

test('in src/, zod and the zod half of protocol/ are only ever imported on demand (await import) or for types', () => {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  const staticImports = files.flatMap((file) =>
    [...readFileSync(join(SRC, file), 'utf8').matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?from\s+'([^']+)'/gms)]
      .map((match) => match[1]!)
      .filter((target) => target === 'zod' || target.startsWith('zod/') || /protocol\/(?!plain\.js$)/.test(target))
      .map((target) => `${file}: ${target}`),
  );
  // catalog-check.ts is zod's own door for a user's catalog file: catalog-loader.ts imports it on demand.
  assert.equal(
    staticImports.filter((line) => !line.startsWith('core/catalog-check.ts:')),
    [],
  );
});

test('initialize, initialized, progress, a command and an export are answered without loading zod', async () => {
  const sidecar = start();
  const init = await sidecar.request('initialize', {
    ...vscode,
    processId: process.pid,
    rootUri: null,
    rootPath: folder,
    initializationOptions: { ...vscode.initializationOptions, progressFile: join(folder, 'progress.json') },
  });
  assert.ok(init.result, JSON.stringify(init.error));
  sidecar.notify('initialized', {});
  assert.is((await sidecar.request('milestones/progress')).result?.completedModules.length, 2);
  assert.ok((await sidecar.request('workspace/executeCommand', { command: 'tinytorch.milestones.progress', arguments: [[]] })).result);
  assert.equal((await sidecar.request('milestones/checkExport', { module: '2' })).result?.newlyUnlocked, ['perceptron']);
  sidecar.notify('window/workDoneProgress/cancel', { token: 'nothing-running' });
  assert.is(await zodAtExit(sidecar), 'absent');
});

test('params the generated validator refuses load zod, which answers in its words', async () => {
  const sidecar = start();
  assert.ok((await sidecar.initialize()).result);
  const refused = await sidecar.request('milestones/reset', { module: 'tensor' });
  assert.is(refused.error?.code, -32602);
  assert.match(refused.error?.message ?? '', 'Invalid params for milestones/reset: ✖ expected a module name like "01_tensor"');
  assert.is(await zodAtExit(sidecar), 'loaded');
});

test.run();
