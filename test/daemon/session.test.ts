// A daemon session's settings come from its client: its directory when it has one, its environment always.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { WatcherHub } from '../../src/daemon/watcher-hub.js';
import { clientConfig, clientContext, createSessionStarter } from '../../src/daemon/session.js';
import { RpcPeer, type Exit } from '../helpers/rpc-peer.js';

/** One daemon session over in-memory streams, as a connection to the socket would get. */
class DaemonPeer extends RpcPeer {
  readonly exited: Promise<Exit> = new Promise(() => {});
  readonly input = new PassThrough();
  /** Every write the session made to its socket, as the client reads it: a socket sends a `writev` as one chunk. */
  readonly writes: Buffer[] = [];
  readonly output = new PassThrough({
    writev: (chunks, done) => {
      this.writes.push(Buffer.concat(chunks.map(({ chunk }) => chunk as Buffer)));
      this.output.push(this.writes.at(-1));
      done();
    },
    write: (chunk: Buffer, _encoding, done) => {
      this.writes.push(chunk);
      this.output.push(chunk);
      done();
    },
  });
  readonly logged: string[] = [];
  readonly session;

  constructor() {
    super();
    this.output.on('data', (chunk: Buffer) => this.onData(chunk));
    const log = (message: string) => void this.logged.push(message);
    const hub: WatcherHub = { watch: async () => ({ close: async () => {} }) } as unknown as WatcherHub;
    const start = createSessionStarter({ logger: { info: log, warn: log, error: log }, version: 'test', hub, rootPathOf: () => null });
    this.session = start({ input: this.input, output: this.output as unknown as Socket });
  }

  protected write(bytes: Buffer | string): void {
    this.input.write(bytes);
  }

  endInput(): void {
    this.input.end();
  }

  async dispose(): Promise<void> {
    this.input.end();
    await this.session.closed;
  }
}

const none = { initializationOptions: null, rootUri: null, rootPath: null, capabilities: null };

test('a client whose directory was deleted still brings its environment: its HOME decides the progress file', () => {
  const client = clientContext({ env: { HOME: '/home/student' } });
  assert.equal(client, { cwd: null, env: { HOME: '/home/student' } });
  const config = clientConfig(none, client, { HOME: '/root' });
  assert.is(config.progressFile, '/home/student/.tinytorch/progress.json');
});

test('a relative or missing cwd is no directory; an absolute one is kept', () => {
  assert.is(clientContext({ cwd: 'relative', env: {} })?.cwd, null);
  assert.is(clientContext({ cwd: '/work', env: {} })?.cwd, '/work');
  assert.is(clientContext('nonsense'), null);
});

test("a client that initializes first never opens the daemon's own settings: a broken catalog there does not matter", async () => {
  const folder = mkdtempSync(join(tmpdir(), 'ttm-daemon-session-'));
  const saved = process.env.TINYTORCH_CATALOG;
  process.env.TINYTORCH_CATALOG = join(folder, 'no-such-catalog.json'); // what the daemon itself would use
  const peer = new DaemonPeer();
  try {
    const client = { env: { HOME: folder, TINYTORCH_CATALOG: 'seed' }, cwd: folder };
    const answer = await peer.initialize({ client, progressFile: join(folder, 'progress.json') });
    assert.is(answer.result?.capabilities.experimental.milestones.catalog, 'seed');
    const recorded = await peer.request('milestones/checkExport', { module: '00_setup' });
    assert.equal(recorded.result?.newlyUnlocked, []);
    assert.equal(
      peer.logged.filter((line) => line.includes('could not start')),
      [],
    );
  } finally {
    await peer.dispose();
    if (saved === undefined) delete process.env.TINYTORCH_CATALOG;
    else process.env.TINYTORCH_CATALOG = saved;
    rmSync(folder, { recursive: true, force: true });
  }
});

test('a request before initialize gets the daemon settings, opened for it', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'ttm-daemon-session-'));
  const saved = { HOME: process.env.HOME, TINYTORCH_CATALOG: process.env.TINYTORCH_CATALOG };
  process.env.HOME = folder;
  process.env.TINYTORCH_CATALOG = 'seed';
  const peer = new DaemonPeer();
  try {
    const answer = await peer.request('milestones/progress', {});
    assert.is(answer.result?.catalog, 'seed');
  } finally {
    await peer.dispose();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(folder, { recursive: true, force: true });
  }
});

test('an unlocking checkExport sends its notification and then its answer in one write: the client wakes once', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'ttm-daemon-session-'));
  const progressFile = join(folder, 'progress.json');
  writeFileSync(progressFile, JSON.stringify({ completed_modules: ['00_setup', '01_tensor'], unlocked_milestones: [], completed_milestones: [] }));
  const peer = new DaemonPeer();
  try {
    // As the Python client does: initialize, no `initialized`, one call.
    const client = { env: { HOME: folder, TINYTORCH_CATALOG: 'seed' }, cwd: folder };
    await peer.request('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { client, progressFile } });
    const before = peer.writes.length;
    const answer = await peer.request('milestones/checkExport', { module: '02_autograd' });
    assert.equal(answer.result?.newlyUnlocked, ['perceptron']);
    const sent = peer.writes.slice(before).map((bytes) => bytes.toString('utf8'));
    assert.is(sent.length, 1, `one write, not ${sent.length}`);
    const unlocked = sent[0]!.indexOf('"method":"milestones/unlocked"');
    const answered = sent[0]!.indexOf(`"id":${JSON.stringify(answer.id)},"result"`);
    assert.ok(unlocked !== -1 && answered !== -1, sent[0]);
    assert.ok(unlocked < answered, 'the notification first, as docs/protocol.md requires');
  } finally {
    await peer.dispose();
    rmSync(folder, { recursive: true, force: true });
  }
});

test.run();
