// The per-user daemon (docs/protocol.md §12): one Unix socket, one full session per connection, shared watchers, idle exit.
import { unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { withLock } from '../adapters/lock.js';
import type { Logger } from '../ports.js';
import { DAEMON_STATUS, DAEMON_STOP, type DaemonStatus } from './control-methods.js';
import { type DaemonAddress, ensurePrivateFolder } from './paths.js';

/** What a connection becomes: a full session over the socket; `close` ends it (and its runs) as end of input would. */
export type SessionStarter = (streams: { input: PassThrough; output: Socket }) => {
  end(): void;
  closed: Promise<void>;
  onRequest(method: string, handler: () => unknown): void;
};

export interface DaemonOptions {
  readonly address: DaemonAddress;
  readonly uid: number;
  readonly version: string;
  readonly build: string;
  /** No connection for this long: the daemon exits (10 minutes by default). */
  readonly idleMs: number;
  readonly startSession: SessionStarter;
  readonly logger: Logger;
  /** Called once the daemon stopped listening and every session ended. */
  readonly exit: (code: number) => void;
}

/** Whether something answers on the socket: a live daemon, as opposed to a file left by one killed with -9. */
export function probe(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const client = connect(socket);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      client.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    client.once('connect', () => done(true));
    client.once('error', () => done(false));
  });
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Binds the socket unless a live daemon already has it; returns false then (this one is not needed). */
async function bind(server: Server, address: DaemonAddress): Promise<boolean> {
  return withLock(address.lock, async () => {
    if (await probe(address.socket)) return false;
    try {
      unlinkSync(address.socket); // stale: its daemon is gone
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await listen(server, address.socket);
    return true;
  });
}

export async function runDaemon(options: DaemonOptions): Promise<'started' | 'already-running'> {
  const { address, logger } = options;
  ensurePrivateFolder(address.folder, options.uid);
  const startedAt = Date.now();
  const sessions = new Set<{ end(): void; closed: Promise<void> }>();
  let idleTimer: NodeJS.Timeout | null = null;
  let stopping = false;

  const armIdleTimer = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = sessions.size === 0 ? setTimeout(() => void stop('idle'), options.idleMs) : null;
  };

  // Half-open: a client that has sent everything (its input ended) still gets every answer.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    if (stopping) return void socket.destroy();
    socket.on('error', (error) => logger.info(`connection: ${error.message}`));
    // The reader sees one end of input, whether the client half-closed or vanished.
    const input = new PassThrough();
    socket.pipe(input);
    socket.once('close', () => {
      if (!input.writableEnded) input.end();
    });
    const session = options.startSession({ input, output: socket });
    sessions.add(session);
    armIdleTimer();
    const status = (): DaemonStatus => ({
      pid: process.pid,
      socket: address.socket,
      version: options.version,
      build: options.build,
      connections: sessions.size - 1, // not counting the one asking
      uptimeMs: Date.now() - startedAt,
      idleExitMs: options.idleMs,
    });
    session.onRequest(DAEMON_STATUS, status);
    let stopAsked = false;
    session.onRequest(DAEMON_STOP, () => {
      // Stop once the asker has its answer and hangs up (or soon, if it does not).
      stopAsked = true;
      setTimeout(() => void stop('asked'), 2000).unref();
      return status();
    });
    void session.closed.then(() => {
      sessions.delete(session);
      socket.destroy();
      if (stopAsked) void stop('asked');
      else if (!stopping) armIdleTimer();
    });
  });

  async function stop(reason: string) {
    if (stopping) return;
    stopping = true;
    if (idleTimer) clearTimeout(idleTimer);
    logger.info(`daemon stopping (${reason})`);
    server.close(); // also removes the socket file
    for (const session of sessions) session.end();
    await Promise.race([Promise.all([...sessions].map((session) => session.closed)), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    options.exit(0);
  }

  if (!(await bind(server, address))) return 'already-running';
  armIdleTimer();
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => void stop(signal));
  logger.info(`daemon listening on ${address.socket} (pid ${process.pid})`);
  return 'started';
}
