// VS Code, for real: code-server 4.100.3 (VS Code 1.100.3) driven by Debian's chromium through playwright-core.
// 1. the extension's integration tests run inside code-server's real extension host (workbench payload);
// 2. the packaged .vsix, installed as a student would, is driven through the UI: an export shows the toast,
//    "Run verification" runs the demo workspace's real pytest, and the Milestones view and the timeline show the
//    milestone completed. A screenshot of each step is saved under the folder printed at the start.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXT = join(ROOT, 'clients/vscode');
const VSIX = join(EXT, 'tinytorch-milestones.vsix');
const CACHE = process.env.TINYTORCH_EDITORS_CACHE || join(tmpdir(), 'tinytorch-editors-cache');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Generous deadlines: they only bound a hang. Every wait ends on the event it waits for.
const WORKBENCH_MS = 180_000;
const EVENT_MS = 90_000;
const TESTS_MS = 300_000;

const say = (line) => process.stdout.write(`[vscode] ${line}\n`);
const failures = [];
const check = (ok, what) => {
  say(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

async function main() {
  const started = Date.now();
  const codeServer = execFileSync('bash', [join(ROOT, 'test/editors/vscode/install-code-server.sh'), CACHE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  if (!existsSync(join(EXT, 'node_modules'))) execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: EXT, stdio: 'inherit' });
  execFileSync('npm', ['run', 'package:vscode'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const { chromium } = await import(join(EXT, 'node_modules/playwright-core/index.mjs'));
  say(`code-server ${execFileSync(codeServer, ['--version'], { encoding: 'utf8' }).split('\n')[0]}, ${execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim()}`);
  say(`setup took ${Math.round((Date.now() - started) / 1000)} s`);

  const tmp = await mkdtemp(join(tmpdir(), 'tinytorch-vscode-'));
  const shots = process.env.TINYTORCH_EDITORS_SCREENSHOTS || join(tmpdir(), `tinytorch-vscode-screenshots-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(shots, { recursive: true });
  say(`screenshots: ${shots}`);

  const unit = await makeWorkspace(join(tmp, 'unit'));
  const ui = await makeWorkspace(join(tmp, 'ui'));
  const home = join(tmp, 'home');
  const dirs = { extensions: join(tmp, 'extensions'), userData: join(tmp, 'user-data') };
  await mkdir(join(dirs.userData, 'User'), { recursive: true });
  await writeFile(join(dirs.userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(tmp, 'xdg-config'),
    XDG_DATA_HOME: join(tmp, 'xdg-data'),
    TINYTORCH_VSCODE_TEST_REPORT: join(tmp, 'unit', 'report.json'),
    // pytest colours its output then: the output channel must still read "PASSED", with no escape codes.
    FORCE_COLOR: '1',
  };
  await mkdir(home, { recursive: true });
  const common = ['--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData];
  execFileSync(codeServer, [...common, '--install-extension', VSIX], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  check(
    existsSync(join(dirs.extensions, 'tinytorch.tinytorch-milestones-vscode-0.1.0', 'server', 'bin', 'tinytorch-milestones.js')),
    'the .vsix installs with the sidecar inside it',
  );

  const port = await freePort();
  const server = spawn(
    codeServer,
    [
      ...common,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
    ],
    {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let serverLog = '';
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  const base = `http://127.0.0.1:${port}`;
  let browser;
  try {
    await waitFor('code-server to listen', WORKBENCH_MS, async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    await extensionTests(browser, base, port, unit, env, shots);
    await driveUi(browser, base, ui, shots);
  } catch (error) {
    for (const [i, page] of (browser?.contexts().flatMap((c) => c.pages()) ?? []).entries()) {
      await page.screenshot({ path: join(shots, `failed-${i}.png`) }).catch(() => {});
    }
    check(false, error instanceof Error ? error.message : String(error));
  } finally {
    await browser?.close().catch(() => {});
    await stop(server);
    const left = leftovers([tmp, join(EXT, 'server', 'bin')]);
    check(left.length === 0, `nothing left running after code-server stops${left.length ? `: ${left.join('; ')}` : ''}`);
    for (const line of left) {
      try {
        process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      } catch {}
    }
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    if (failures.length > 0) await writeFile(join(shots, 'code-server.log'), serverLog).catch(() => {});
  }
  say(`screenshots: ${shots}`);
  say(`took ${Math.round((Date.now() - started) / 1000)} s`);
  if (failures.length > 0) say(`${failures.length} failed:\n  ${failures.join('\n  ')}`);
  // Everything this test started is stopped above; exit now rather than wait on a handle Playwright keeps.
  process.exit(failures.length > 0 ? 1 : 0);
}

const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.commandCenter.enabled': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'window.commandCenter': false,
};

/** A copy of demo/workspace with its own progress file (00_setup, 01_tensor done), the seed catalog. */
async function makeWorkspace(dir) {
  const folder = join(dir, 'workspace');
  await cp(join(ROOT, 'demo/workspace'), folder, { recursive: true });
  const progressFile = join(dir, 'progress.json');
  await writeFile(progressFile, `${JSON.stringify({ completed_modules: ['00_setup', '01_tensor'], unlocked_milestones: [], completed_milestones: [] }, null, 2)}\n`);
  await mkdir(join(folder, '.vscode'), { recursive: true });
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  await writeFile(
    join(folder, '.vscode', 'settings.json'),
    JSON.stringify({ 'tinytorchMilestones.progressFile': progressFile, 'tinytorchMilestones.catalog': 'seed', 'tinytorchMilestones.python': python }, null, 2),
  );
  return { folder, progressFile };
}

/** Step 1: the extension's own tests, inside code-server's extension host; their exit comes back through codeAutomationExit. */
async function extensionTests(browser, base, port, unit, env, shots) {
  const page = await newPage(browser);
  let exited;
  const exit = new Promise((resolve) => (exited = resolve));
  await page.exposeFunction('codeAutomationExit', (code) => exited(code));
  const remote = (path) => `vscode-remote://127.0.0.1:${port}${path}`;
  const payload = [
    ['extensionDevelopmentPath', remote(EXT)],
    ['extensionTestsPath', remote(join(EXT, 'out/test/integration/index.cjs'))],
  ];
  await page.goto(`${base}/?folder=${encodeURIComponent(unit.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  const code = await Promise.race([exit, sleep(TESTS_MS).then(() => 'timeout')]);
  await page.screenshot({ path: join(shots, '01-extension-tests.png') }).catch(() => {});
  const report = await readFile(env.TINYTORCH_VSCODE_TEST_REPORT, 'utf8').then(JSON.parse, () => []);
  for (const r of report) {
    check(r.ok, `extension host: ${r.name} (${r.ms} ms${r.note ? `; ${r.note}` : ''})`);
    if (!r.ok) say(r.error);
  }
  check(code === 0 && report.length > 0, `extension tests exited with ${code} after ${report.length} tests`);
  await page.close();
}

/** Step 2: a student's session with the installed .vsix. */
async function driveUi(browser, base, ui, shots) {
  const page = await newPage(browser);
  const shot = async (name) => page.screenshot({ path: join(shots, name) });
  await page.goto(`${base}/?folder=${encodeURIComponent(ui.folder)}`);
  const status = page.locator('.statusbar-item', { hasText: 'Milestones 0/5' });
  await status.first().waitFor({ timeout: WORKBENCH_MS });
  check(true, 'status bar shows "Milestones 0/5"');
  // Every notification that appears, however briefly (a progress notification may last a second).
  await page.evaluate(() => {
    window.__toasts = [];
    const seen = new WeakSet();
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('.notification-list-item-message')) {
        if (seen.has(el)) continue;
        seen.add(el);
        window.__toasts.push(el.textContent);
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  await status.first().click();
  const perceptron = page.locator('.monaco-list-row[aria-label^="1957 - The Perceptron"]');
  await perceptron.waitFor({ timeout: EVENT_MS });
  check(
    /Locked/.test(await perceptron.getAttribute('aria-label')) && /next/.test(await perceptron.getAttribute('aria-label')),
    'the Milestones view shows the perceptron locked and next',
  );
  // Widen the side bar (drag its sash) so each row shows met/n and what is missing; open the perceptron's modules.
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  if (sidebar) {
    await page.mouse.move(sidebar.x + sidebar.width + 1, 400);
    await page.mouse.down();
    await page.mouse.move(sidebar.x + sidebar.width + 330, 400, { steps: 8 });
    await page.mouse.up();
  }
  await perceptron.click();
  await page.locator('.monaco-list-row[aria-label^="02_autograd"]').first().waitFor();
  await shot('02-milestones-view.png');

  // An nbdev export of 02_autograd lands in the watched tinytorch/ folder.
  const file = join(ui.folder, 'tinytorch/core/autograd.py');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, '# %% ../../modules/02_autograd/02_autograd.ipynb 1\nclass Tensor: ...\n');
  await writeFile(file, '# AUTOGENERATED! DO NOT EDIT!\n# %% ../../modules/02_autograd/02_autograd.ipynb 1\nclass Tensor: ...\n');
  const toast = page.locator('.notification-toast', { hasText: 'Milestone unlocked: 1957 - The Perceptron' });
  await toast.waitFor({ timeout: EVENT_MS });
  check(true, 'the export shows the unlock toast');
  await page.locator('.monaco-list-row[aria-label*="Unlocked"][aria-label^="1957 - The Perceptron"]').waitFor({ timeout: EVENT_MS });
  check(true, 'the Milestones view shows the perceptron unlocked');
  await shot('03-unlock-toast.png');

  await toast.locator('.monaco-button', { hasText: 'Run verification' }).click();
  const passed = page.locator('.notification-toast', { hasText: '1957 - The Perceptron passed' });
  await page
    .locator('.notification-toast', { hasText: 'Verifying 1957 - The Perceptron' })
    .waitFor({ timeout: EVENT_MS })
    .then(
      () => shot('04-running.png'),
      () => {},
    );
  await passed.waitFor({ timeout: EVENT_MS });
  const toasts = await page.evaluate(() => window.__toasts);
  check(
    toasts.some((t) => t.startsWith('Verifying 1957 - The Perceptron')),
    'Run verification shows a progress notification',
  );
  check(toasts.filter((t) => t.includes('1957 - The Perceptron') && /unlocked/i.test(t)).length === 1, 'one toast for the unlock (no window/showMessage duplicate)');
  check(!toasts.some((t) => t.includes('MILESTONE UNLOCKED')), 'no window/showMessage pop-up besides our own');
  check(!toasts.some((t) => t.includes('Milestone completed:')), "the run's completion is announced once, by the run's own message");
  const output = page.locator('.part.panel .view-lines');
  await output.filter({ hasText: 'test_perceptron_learning PASSED' }).first().waitFor({ timeout: EVENT_MS });
  check(true, 'the run streamed into the output channel (pytest PASSED line)');
  await page.locator('.monaco-list-row[aria-label*="Completed"][aria-label^="1957 - The Perceptron"]').waitFor({ timeout: EVENT_MS });
  check(true, 'the Milestones view shows the perceptron completed');
  check((await page.locator('.statusbar-item', { hasText: 'Milestones 1/5' }).count()) > 0, 'status bar shows "Milestones 1/5"');
  await shot('05-passed.png');

  // Room for the timeline: the output panel closed (Ctrl+J) and the side bar narrower again.
  await page.keyboard.press('Control+J');
  const wide = await page.locator('.part.sidebar').boundingBox();
  if (wide) {
    await page.mouse.move(wide.x + wide.width + 1, 400);
    await page.mouse.down();
    await page.mouse.move(wide.x + wide.width - 200, 400, { steps: 8 });
    await page.mouse.up();
  }
  await page.locator('.action-label[aria-label="Show timeline"]').first().click();
  const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
  await frame.locator('g.milestone[data-id="perceptron"][data-status="completed"]').waitFor({ timeout: EVENT_MS });
  check(true, 'the timeline draws the perceptron completed');
  const date = await frame.locator('tr[data-id="perceptron"] td.date').textContent();
  check(/^completed /.test(date ?? ''), `the timeline shows its date ("${date}")`);
  check((await frame.locator('g.milestone[data-status="locked"]').count()) === 4, 'the four other milestones are drawn locked');
  await shot('06-timeline.png');
  await cancelRun(page, ui, shot);
  await killEditor(ui);
  await page.close();
}

/** Cancel on the progress notification stops the run: its pytest is gone, and XOR stays unlocked. */
async function cancelRun(page, ui, shot) {
  const file = join(ui.folder, 'tinytorch/nn.py');
  await writeFile(file, '# AUTOGENERATED! DO NOT EDIT!\n# %% ../../modules/03_nn/03_nn.ipynb 1\nclass Linear: ...\n');
  const toast = page.locator('.notification-toast', { hasText: 'Milestone unlocked: 1986 - Backpropagation (XOR)' });
  await toast.waitFor({ timeout: EVENT_MS });
  await toast.locator('.monaco-button', { hasText: 'Run verification' }).click();
  const running = page.locator('.notification-toast', { hasText: 'Verifying 1986 - Backpropagation (XOR)' });
  await running.waitFor({ timeout: EVENT_MS });
  await running.locator('.monaco-button', { hasText: 'Cancel' }).click();
  await page.locator('.notification-toast', { hasText: '1986 - Backpropagation (XOR): verification cancelled' }).waitFor({ timeout: EVENT_MS });
  check(true, 'Cancel on the progress notification cancels the run');
  const pytestHere = () => leftovers(['test_xor_learning']).filter((line) => cwdOf(Number(line.split(' ')[0])).startsWith(ui.folder));
  await waitFor("the cancelled run's pytest to be gone", 30_000, async () => pytestHere().length === 0);
  check(true, "the cancelled run's process is gone");
  await page.locator('.monaco-list-row[aria-label*="Unlocked"][aria-label^="1986 - Backpropagation (XOR)"]').waitFor({ timeout: EVENT_MS });
  check(true, 'the Milestones view shows XOR still unlocked');
  await shot('07-cancelled.png');
}

/** Killing the editor ends the sidecar: SIGKILL the extension host that started it (its --clientProcessId). */
async function killEditor(ui) {
  const sidecars = leftovers([join(dirname(ui.folder), '..', 'extensions')]).filter((line) => line.includes('server/bin/tinytorch-milestones.js') && line.includes('--stdio'));
  const sidecar = Number(sidecars[0]?.split(' ')[0]);
  if (!sidecar) return check(false, `the installed extension's sidecar is running (found: ${sidecars.join('; ') || 'none'})`);
  const host = parentOf(sidecar);
  const clientPid = /--clientProcessId[= ](\d+)/.exec(sidecars[0])?.[1];
  check(String(host) === clientPid, `the sidecar was given its extension host as --clientProcessId (${clientPid}, parent ${host})`);
  const killed = Date.now();
  process.kill(host, 'SIGKILL');
  await waitFor('the sidecar to exit after its extension host was killed', 30_000, async () => !alive(sidecar));
  say(`the sidecar exited ${Date.now() - killed} ms after its extension host was killed`);
  check(true, 'killing the editor (its extension host) ends the sidecar');
}

function cwdOf(pid) {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}

function parentOf(pid) {
  return Number(
    readFileSyncSafe(`/proc/${pid}/stat`)
      .replace(/^.*\) /s, '')
      .split(' ')[1],
  );
}

/** Alive and not a zombie (a container's pid 1 may not reap the orphans it inherits). */
function alive(pid) {
  const stat = readFileSyncSafe(`/proc/${pid}/stat`);
  return stat !== '' && stat.replace(/^.*\) /s, '')[0] !== 'Z';
}

function readFileSyncSafe(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

async function newPage(browser) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(EVENT_MS);
  return page;
}

async function waitFor(what, ms, probe) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(250);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Processes whose command line mentions one of the paths (pid and command), this one excepted. */
function leftovers(paths) {
  const found = new Set();
  for (const path of paths) {
    try {
      for (const line of execFileSync('pgrep', ['-af', path], { encoding: 'utf8' }).split('\n')) {
        if (line && !line.startsWith(`${process.pid} `)) found.add(line.slice(0, 200));
      }
    } catch {} // pgrep exits 1 when nothing matches
  }
  return [...found];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Stops code-server and everything it started (its process group: extension hosts, sidecars, runs). */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {}
  if (await Promise.race([gone.then(() => true), sleep(5000).then(() => false)])) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
  await gone;
}

main().catch((error) => {
  say(`FAIL ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
