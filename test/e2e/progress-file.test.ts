// The progress file and its lock through the built bin: stuck locks end in one sentence, SIGTERM ends the CLI, a read-only or corrupt file is said, not lost.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { asNobody } from '../helpers/process.js';
import { scaled } from '../helpers/time.js';
import { withTimeout } from '../helpers/timeout.js';
import { BIN, frame, Sidecar, type RpcMessage } from '../helpers/rpc-client.js';

let folder = '';
let progressFile = '';
const sidecars: Sidecar[] = [];
const ENV = { TINYTORCH_CATALOG: 'seed', TINYTORCH_WORKSPACE: undefined, TINYTORCH_EXPORTS: undefined };
const FRESH = '{\n  "completed_modules": [\n    "00_setup"\n  ],\n  "unlocked_milestones": [],\n  "completed_milestones": []\n}';

/** Another user, for what root is exempt from (a read-only folder); null when this machine cannot switch users. */
const NOBODY = asNobody();

function cli(args: readonly string[], options: { as?: readonly string[] | null } = {}) {
  const command = [...(options.as ?? []), process.execPath, BIN, ...args, '--progress-file', progressFile];
  const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...ENV } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** One request to a sidecar run as `as`, input closed after it: the answer. */
function oneRequest(method: string, as: readonly string[]): RpcMessage {
  const command = [...as, process.execPath, BIN, '--stdio', '--progress-file', progressFile];
  const result = spawnSync(command[0]!, command.slice(1), { input: frame({ jsonrpc: '2.0', id: 1, method, params: {} }), timeout: 60_000, env: { ...process.env, ...ENV } });
  const text = result.stdout.toString('utf8');
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  return JSON.parse(body) as RpcMessage;
}

function ownLockContent(): string {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return `${process.pid} ${hostname()} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}\n`;
}

test.before.each(() => {
  folder = mkdtempSync(join(tmpdir(), 'ttm-progress-file-'));
  progressFile = join(folder, 'progress.json');
});
test.after.each(async () => {
  await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.dispose()));
  chmodSync(folder, 0o700);
  rmSync(folder, { recursive: true, force: true });
});

test('the one-shot CLI waiting on a lock that is a folder ends on SIGTERM, with one line', async () => {
  mkdirSync(`${progressFile}.lock`);
  const child = spawn(process.execPath, [BIN, 'check-export', '00_setup', '--progress-file', progressFile], { env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    // Long enough for the CLI to be waiting on the lock (it has no output before it answers), well within its 10 s.
    const waitMs = Math.min(scaled(1_500), 6_000);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    const cpu = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    child.kill('SIGTERM');
    const code = await withTimeout(exited, scaled(10_000), 'the CLI to end on SIGTERM');
    // 130 and "Stopped waiting" (not 2 and the lock timeout's sentence): SIGTERM ended it.
    assert.is(code, 130);
    assert.is(stderr, `tinytorch-milestones: Stopped waiting for the progress file lock ${progressFile}.lock.\n`);
    // utime + stime in clock ticks (100 a second): a spinning wait burns about its whole wall time, a backed-off one far less.
    const fields = cpu.slice(cpu.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    assert.ok(ticks < waitMs / 10 / 2, `the wait backed off (${ticks} ticks of CPU in ${waitMs} ms)`);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a live holder past the lock timeout: exit 2 and one sentence naming the lock and the way out (not 70 and a stack)', () => {
  writeFileSync(`${progressFile}.lock`, ownLockContent());
  const result = cli(['check-export', '00_setup']);
  assert.is(result.code, 2);
  assert.is(
    result.stderr,
    `tinytorch-milestones: Could not lock the progress file within 10 s: ${progressFile}.lock names process ${process.pid} on ${hostname()}, which is still running; if that is not a tinytorch-milestones writer, delete ${progressFile}.lock or run "tinytorch-milestones repair".\n`,
  );
});

test('a stale lock whose pid now belongs to another process is taken over at once; repair clears a lock that is a folder', () => {
  writeFileSync(`${progressFile}.lock`, `${process.pid} ${hostname()} 1\n`);
  const started = performance.now();
  const result = cli(['check-export', '00_setup']);
  assert.is(result.code, 0, result.stderr);
  assert.ok(performance.now() - started < 8_000, 'well before the 10 s lock timeout');
  assert.is(readFileSync(progressFile, 'utf8'), FRESH);
  mkdirSync(`${progressFile}.lock`);
  const repaired = cli(['repair']);
  assert.is(repaired.code, 0, repaired.stderr);
  assert.match(repaired.stdout, /^Started a fresh progress file at .*; the old one is kept at .*\.backup-/);
});

test('a read-only (chmod 444) progress file is refused in one sentence: exit 2 from the CLI, -32603 over the protocol', async () => {
  writeFileSync(progressFile, FRESH);
  chmodSync(progressFile, 0o444);
  const expected = `The progress file ${progressFile} is read-only, so it was left unchanged; make it writable (chmod u+w ${progressFile}) or set --progress-file or TINYTORCH_PROGRESS_FILE to another file.`;
  const result = cli(['check-export', '01_tensor']);
  assert.is(result.code, 2);
  assert.is(result.stderr, `tinytorch-milestones: ${expected}\n`);
  const sidecar = new Sidecar({ args: ['--progress-file', progressFile], env: ENV });
  sidecars.push(sidecar);
  const answer = await sidecar.request('milestones/checkExport', { module: '01_tensor' });
  assert.equal(answer.error, { code: -32603, message: expected });
  const unchanged = await sidecar.request('milestones/checkExport', { module: '00_setup' });
  assert.equal(unchanged.result?.newlyUnlocked, [], 'a request that changes nothing still works');
  assert.is(readFileSync(progressFile, 'utf8'), FRESH);
  assert.is(statSync(progressFile).mode & 0o777, 0o444);
});

test('a corrupt file in a folder the user cannot write: 1004 with backup null and the reason, exit 1, never EACCES', () => {
  if (!NOBODY) {
    console.warn('skipped: needs root, setpriv and a checkout the nobody user can read');
    return;
  }
  writeFileSync(progressFile, '{"completed_modules": [');
  chmodSync(progressFile, 0o644);
  chmodSync(folder, 0o755);
  const expected = `The progress file ${progressFile} cannot be read: not valid JSON`;
  const result = cli(['progress'], { as: NOBODY });
  assert.is(result.code, 1);
  assert.ok(result.stderr.startsWith(`tinytorch-milestones: ${expected}`), result.stderr);
  assert.match(
    result.stderr,
    `No copy could be made beside it (permission denied in ${folder}), and it was left as it is; run "tinytorch-milestones repair" to start a fresh one.\n`,
  );
  assert.is(result.stderr.split('\n').length, 2, 'one line');
  const answer = oneRequest('milestones/progress', NOBODY);
  assert.is(answer.error?.code, 1004);
  assert.equal(answer.error?.data, { path: progressFile, backup: null, kind: 'progress-file-corrupt' });
  assert.ok(answer.error?.message.startsWith(expected));
  assert.is(readFileSync(progressFile, 'utf8'), '{"completed_modules": [');
});

test.run();
