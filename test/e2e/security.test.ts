// Issue 10 B5: hostile parameters never reach a path or an argv; a bad module name is invalid params in a bounded answer.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sidecar } from '../helpers/rpc-client.js';

let folder = '';
const sidecars: Sidecar[] = [];

test.before.each(() => {
  folder = mkdtempSync(join(tmpdir(), 'ttm-security-'));
});
test.after.each(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.dispose()));
  rmSync(folder, { recursive: true, force: true });
});

test('module names with .., /, NUL or 1 MB are invalid params, quoted briefly, and nothing is written', async () => {
  const sidecar = new Sidecar({ args: ['--progress-file', join(folder, 'progress.json'), '--catalog', 'seed'], env: { TINYTORCH_WORKSPACE: '' } });
  sidecars.push(sidecar);
  for (const module of ['../../etc/passwd', '01_tensor/../x', 'a/b', '01_tensor\u0000', 'x'.repeat(1024 * 1024)]) {
    for (const method of ['milestones/checkExport', 'milestones/reset']) {
      const answer = await sidecar.request(method, { module }, 10_000);
      assert.is(answer.error?.code, -32602, `${method} ${JSON.stringify(module.slice(0, 40))}`);
      assert.ok(JSON.stringify(answer).length < 2000, `the answer quotes the name briefly (${JSON.stringify(answer).length} bytes)`);
    }
  }
  assert.throws(() => readFileSync(join(folder, 'progress.json')), 'nothing was recorded');
});

test('a run id that is not in the catalog runs nothing, whatever it holds; extra params never reach an argv', async () => {
  const sidecar = new Sidecar({ args: ['--progress-file', join(folder, 'progress.json'), '--catalog', 'seed', '--workspace', folder], env: { TINYTORCH_WORKSPACE: '' } });
  sidecars.push(sidecar);
  for (const id of ['--version', '-c', '../x', 'perceptron; rm -rf /', 'tests/test_x.py::test_y']) {
    const answer = await sidecar.request('milestones/run', { id }, 10_000);
    assert.ok(answer.error?.code === -32602 || answer.error?.data?.kind === 'unknown-milestone', `${id}: ${JSON.stringify(answer.error)}`);
  }
  // A known id with extra fields: the fields are ignored; the milestone is locked, so nothing runs at all.
  const locked = await sidecar.request('milestones/run', { id: 'perceptron', args: ['--version'], pytest: '-p evil', python: '/bin/sh' }, 10_000);
  assert.is(locked.error?.data?.kind, 'milestone-locked');
  assert.is(sidecar.notifications('milestones/runOutput').length, 0);
});

test.run();
