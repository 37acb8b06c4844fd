// The per-user daemon (SPEC §10) spawned for real, in a private XDG_RUNTIME_DIR: status and stop, one daemon for two
// starters, a stale socket replaced, each session with its client's settings, shared watchers, idle exit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN } from '../helpers/rpc-client.js';
import { scaled } from '../helpers/time.js';

interface Status {
  pid: number;
  socket: string;
  version: string;
  build: string;
  connections: number;
}

const folders: string[] = [];
const children = new Set<ChildProcess>();
let runtime = '';

function temp(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), `daemon-test-${prefix}-`));
  folders.push(folder);
  return folder;
}

/** A clean environment: no settings of the machine, this file's own runtime folder (never a real user's daemon). */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('TINYTORCH_') && name !== 'XDG_RUNTIME_DIR') env[name] = value;
  return { ...env, XDG_RUNTIME_DIR: runtime, TINYTORCH_CATALOG: 'seed', ...extra };
}

function cli(args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { env: environment(extra), encoding: 'utf8', timeout: scaled(20_000) });
}

function status(extra: Record<string, string> = {}): Status | null {
  const result = cli(['daemon', 'status', '--json'], extra);
  return result.status === 0 ? (JSON.parse(result.stdout) as Status) : null;
}

function startDaemon(extra: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'daemon'], { env: environment(extra), stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function until<T>(probe: () => T | null | undefined | false, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + scaled(ms);
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A JSON-RPC peer on the daemon's socket, as the Python client is. */
class SocketPeer {
  readonly messages: any[] = [];
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private listeners: Array<() => void> = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const end = this.buffer.indexOf('\r\n\r\n');
        if (end < 0) break;
        const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString())![1]);
        if (this.buffer.length < end + 4 + length) break;
        this.messages.push(JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')));
        this.buffer = this.buffer.subarray(end + 4 + length);
      }
      for (const listener of this.listeners) listener();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static open(path: string): Promise<SocketPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new SocketPeer(socket)));
      socket.once('error', reject);
    });
  }

  send(message: unknown) {
    const body = Buffer.from(JSON.stringify(message));
    this.socket.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
  }

  async request(method: string, params: unknown = {}): Promise<any> {
    const id = this.nextId++;
    this.send({ jsonrpc: '2.0', id, method, params });
    return this.waitFor((message) => message.id === id && !message.method, `the answer to ${method}`);
  }

  waitFor(predicate: (message: any) => boolean, what: string, ms = 10_000): Promise<any> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(predicate);
        if (!found) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, scaled(ms));
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((listener) => listener !== check);
      };
      this.listeners.push(check);
      check();
    });
  }

  /** initialize as a client of the daemon: its directory and environment are the session's settings. */
  initialize(client: { cwd: string; env: Record<string, string> }, options: Record<string, unknown> = {}) {
    return this.request('initialize', { processId: null, rootUri: null, capabilities: {}, initializationOptions: { ...options, client } });
  }
}

const socketOf = (run: string) => {
  const folder = join(run, 'tinytorch-milestones');
  const name = existsSync(folder) ? readdirSync(folder).find((file) => file.endsWith('.sock')) : undefined;
  return name ? join(folder, name) : null;
};

test.before.each(() => {
  runtime = temp('runtime');
});

test.after.each(async () => {
  const running = status();
  if (running) {
    cli(['daemon', 'stop']);
    await until(() => !alive(running.pid), 'the daemon to stop').catch(() => process.kill(running.pid, 'SIGKILL'));
  }
  for (const child of children) child.kill('SIGKILL');
});

test.after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

test('daemon, daemon status and daemon stop; a 0700 folder and a socket named by version and build', async () => {
  assert.is(status(), null);
  const missing = cli(['daemon', 'status']);
  assert.is(missing.status, 1);
  assert.match(missing.stdout, /No tinytorch-milestones daemon of this version is running/);
  const daemon = startDaemon();
  const running = await until(() => status(), 'the daemon');
  assert.is(running.pid, daemon.pid);
  assert.is(running.connections, 0);
  assert.match(running.socket, new RegExp(`^${runtime}/tinytorch-milestones/v\\d+\\.\\d+\\.\\d+[^/]*-[0-9a-f]{12}\\.sock$`));
  assert.is(statSync(join(runtime, 'tinytorch-milestones')).mode & 0o777, 0o700);
  assert.match(cli(['daemon', 'status']).stdout, new RegExp(`runs as pid ${daemon.pid}`));
  const stopped = cli(['daemon', 'stop']);
  assert.match(stopped.stdout, /Stopped the tinytorch-milestones daemon/);
  await until(() => !alive(daemon.pid!), 'the daemon to exit');
  assert.not.ok(existsSync(running.socket), 'the socket is removed');
});

test('two starters at once end with one daemon; the other exits 0 saying so', async () => {
  const first = startDaemon();
  const second = startDaemon();
  let stderr = '';
  for (const child of [first, second]) child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = await until(() => (first.exitCode !== null ? first : second.exitCode !== null ? second : null), 'one starter to give way');
  assert.is(exited.exitCode, 0);
  assert.match(stderr, /already running/);
  const survivor = exited === first ? second : first;
  assert.is((await until(() => status(), 'the daemon')).pid, survivor.pid);
});

test('a stale socket (its daemon killed with -9) is replaced by the next start', async () => {
  const daemon = startDaemon();
  const before = await until(() => status(), 'the daemon');
  daemon.kill('SIGKILL');
  await until(() => !alive(before.pid), 'the kill');
  assert.ok(existsSync(before.socket), 'the killed daemon left its socket');
  assert.is(status(), null);
  const next = startDaemon();
  assert.is((await until(() => status(), 'the new daemon')).pid, next.pid);
});

test("a session's settings come from its client: home, environment and working directory, not the daemon's", async () => {
  const daemonHome = temp('daemon-home');
  startDaemon({ HOME: daemonHome, TINYTORCH_PROGRESS_FILE: join(daemonHome, 'not-this.json') });
  const { socket } = await until(() => status(), 'the daemon');
  const clientHome = temp('client-home');
  const cwd = temp('client-cwd');
  const peer = await SocketPeer.open(socket);
  const init = await peer.initialize({ cwd, env: { HOME: clientHome, TINYTORCH_PROGRESS_FILE: 'relative/progress.json', TINYTORCH_CATALOG: 'seed' } });
  assert.is(init.result.capabilities.experimental.milestones.protocolVersion, 1);
  const answer = await peer.request('milestones/checkExport', { module: '00_setup' });
  assert.equal(answer.result.newlyUnlocked, []);
  assert.equal(JSON.parse(readFileSync(join(cwd, 'relative', 'progress.json'), 'utf8')).completed_modules, ['00_setup']);
  assert.not.ok(existsSync(join(daemonHome, 'not-this.json')));
  assert.not.ok(existsSync(join(daemonHome, '.tinytorch')));

  // Another client, its own home: the default progress file is its own.
  const other = await SocketPeer.open(socket);
  await other.initialize({ cwd, env: { HOME: clientHome } });
  await other.request('milestones/checkExport', { module: '01_tensor' });
  assert.equal(JSON.parse(readFileSync(join(clientHome, '.tinytorch', 'progress.json'), 'utf8')).completed_modules, ['01_tensor']);
  peer.socket.destroy();
  other.socket.destroy();
});

test('exit, or a closed connection, ends that session and never the daemon', async () => {
  const daemon = startDaemon();
  const { socket } = await until(() => status(), 'the daemon');
  const home = temp('home');
  const polite = await SocketPeer.open(socket);
  await polite.initialize({ cwd: home, env: { HOME: home } });
  const rude = await SocketPeer.open(socket);
  await rude.initialize({ cwd: home, env: { HOME: home } });
  assert.is(status()!.connections, 2);
  assert.is((await polite.request('shutdown')).result, null);
  polite.send({ jsonrpc: '2.0', method: 'exit', params: {} });
  await polite.closed; // the daemon ends the session by closing its connection
  rude.socket.destroy();
  await until(() => status()?.connections === 0, 'both sessions to end');
  assert.ok(alive(daemon.pid!));
  // And it still serves.
  const again = await SocketPeer.open(socket);
  await again.initialize({ cwd: home, env: { HOME: home } });
  assert.ok((await again.request('milestones/progress')).result.milestones.length > 0);
  again.socket.destroy();
});

test('watchers are shared: one export reaches every session that watches the same workspace', async () => {
  startDaemon();
  const { socket } = await until(() => status(), 'the daemon');
  const home = temp('home');
  const workspace = temp('workspace');
  mkdirSync(join(workspace, 'tinytorch', 'core'), { recursive: true });
  const progressFile = join(home, 'progress.json');
  writeFileSync(progressFile, JSON.stringify({ completed_modules: ['00_setup', '01_tensor'], unlocked_milestones: [], completed_milestones: [] }, null, 2));
  const peers = await Promise.all([SocketPeer.open(socket), SocketPeer.open(socket)]);
  for (const peer of peers) {
    await peer.initialize({ cwd: workspace, env: { HOME: home } }, { workspace, progressFile });
    peer.send({ jsonrpc: '2.0', method: 'initialized', params: {} });
    await peer.waitFor((message) => message.method === 'window/logMessage' && /^Watching /.test(message.params.message), 'the watchers');
  }
  const module = '02_autograd';
  const nbdev = `# AUTOGENERATED! DO NOT EDIT! File to edit: ../../modules/${module}/${module}.ipynb\n\n# %% ../../modules/${module}/${module}.ipynb 1\nx = 1\n`;
  writeFileSync(join(workspace, 'tinytorch', 'core', 'autograd.py'), nbdev);
  for (const peer of peers) {
    const unlocked = await peer.waitFor((message) => message.method === 'milestones/unlocked', 'the unlock');
    assert.is(unlocked.params.id, 'perceptron');
    assert.is(unlocked.params.cause, 'export');
  }
  await sleep(300);
  for (const peer of peers) assert.is(peer.messages.filter((message) => message.method === 'milestones/unlocked').length, 1, 'one notification each');
  assert.equal(JSON.parse(readFileSync(progressFile, 'utf8')).completed_modules, ['00_setup', '01_tensor', module]);
  for (const peer of peers) peer.socket.destroy();
});

test('a run in a session uses its client environment (PATH, VIRTUAL_ENV)', async () => {
  startDaemon();
  const { socket } = await until(() => status(), 'the daemon');
  const home = temp('home');
  const workspace = temp('workspace');
  const catalog = join(workspace, 'catalog.json');
  writeFileSync(join(workspace, 'show.py'), "import os\nprint('venv=' + os.environ.get('VIRTUAL_ENV', 'none'))\n");
  writeFileSync(
    catalog,
    JSON.stringify({ name: 'env', milestones: [{ id: 'show', name: 'Show', description: 'd', unlockMessage: 'u', requires: ['00_setup'], verify: { scripts: ['show.py'] } }] }),
  );
  const peer = await SocketPeer.open(socket);
  const venv = join(workspace, 'venv-of-the-client');
  await peer.initialize({ cwd: workspace, env: { HOME: home, PATH: process.env.PATH!, VIRTUAL_ENV: venv } }, { workspace, catalog, python: 'python3' });
  await peer.request('milestones/checkExport', { module: '00_setup' });
  const run = await peer.request('milestones/run', { id: 'show' });
  assert.ok(run.result, JSON.stringify(run.error));
  assert.match(run.result.outputTail, `venv=${venv}`);
  peer.socket.destroy();
});

test('with no connection for the idle time, the daemon exits', async () => {
  const daemon = startDaemon({ TINYTORCH_MILESTONES_DAEMON_IDLE_MS: String(scaled(1000)) });
  const socket = await until(() => socketOf(runtime), 'the socket'); // not `daemon status`: its connection would count
  const peer = await SocketPeer.open(socket);
  await peer.request('milestones/progress');
  await sleep(scaled(1000) + 500);
  assert.ok(alive(daemon.pid!), 'a connection keeps it');
  peer.socket.destroy();
  await until(() => !alive(daemon.pid!), 'the idle exit');
  assert.not.ok(existsSync(socket));
});

test('connect bridges stdio to the daemon, starting it; with TINYTORCH_MILESTONES_DAEMON=0 it serves stdio itself', async () => {
  const home = temp('home');
  const frame = (message: unknown) => {
    const body = JSON.stringify(message);
    return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  };
  const input = [
    frame({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } }),
    frame({ jsonrpc: '2.0', id: 2, method: 'milestones/checkExport', params: { module: '00_setup' } }),
    frame({ jsonrpc: '2.0', id: 3, method: 'shutdown', params: {} }),
    frame({ jsonrpc: '2.0', method: 'exit', params: {} }),
  ].join('');
  for (const daemon of ['1', '0']) {
    const result = spawnSync(process.execPath, [BIN, 'connect'], {
      input,
      env: environment({ HOME: home, TINYTORCH_MILESTONES_DAEMON: daemon }),
      encoding: 'utf8',
      timeout: scaled(20_000),
    });
    assert.is(result.status, 0, result.stderr);
    assert.match(result.stdout, /"id":2,"result":\{"newlyUnlocked":\[\]/);
    assert.match(result.stdout, /"id":3,"result":null/);
    if (daemon === '1') assert.ok(status(), 'connect started the daemon');
    else assert.is(status(), null, 'no daemon with TINYTORCH_MILESTONES_DAEMON=0');
    cli(['daemon', 'stop']);
    await until(() => socketOf(runtime) === null || status() === null, 'the daemon to stop');
  }
  assert.equal(JSON.parse(readFileSync(join(home, '.tinytorch', 'progress.json'), 'utf8')).completed_modules, ['00_setup']);
});

test.run();
