// VS Code, for real: code-server through Chromium (test/editors/vscode/run.mjs prints each step and its screenshots).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const SCRIPT = fileURLToPath(new URL('./vscode/run.mjs', import.meta.url));

test('code-server 4.100.3: the extension tests in its extension host, then an export, the toast, Run verification, the view and the timeline', async () => {
  // The script bounds every wait itself and stops code-server, Chromium and the sidecars before it exits.
  const outcome = await new Promise<number | string>((resolve) => {
    const child = spawn(process.execPath, [SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  assert.is(outcome, 0, 'test/editors/vscode/run.mjs failed: see its output above');
});

test.run();
