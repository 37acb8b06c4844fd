// `tinytorch-milestones daemon [status|stop]`: serve the per-user daemon, or ask the one that runs.
import { connect } from 'node:net';
import { createStderrLogger } from '../adapters/logger.js';
import { daemonAlreadyRunningText, daemonNotRunningText, daemonStatusText, daemonStoppedText } from '../core/messages.js';
import { DAEMON_STATUS, DAEMON_STOP, type DaemonStatus } from './control-methods.js';
import { BUILD, daemonAddress, daemonFolder, type DaemonAddress } from './paths.js';

export const DEFAULT_IDLE_MS = 10 * 60 * 1000;

export interface DaemonCommandOptions {
  readonly version: string;
  readonly json: boolean;
  readonly rootPathOf: (rootUri: string | null, rootPath: string | null) => string | null;
}

export const currentAddress = (version: string): DaemonAddress => daemonAddress(daemonFolder(process.env, process.getuid?.() ?? 0), version, BUILD);

/** One request over the socket, framed as everywhere else; null when no daemon answers. */
export function askDaemon(socket: string, method: string, timeoutMs = 5000): Promise<DaemonStatus | null> {
  return new Promise((resolve) => {
    const client = connect(socket);
    let buffer = Buffer.alloc(0);
    const done = (value: DaemonStatus | null) => {
      clearTimeout(timer);
      client.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    client.once('error', () => done(null));
    client.once('close', () => done(null));
    client.on('connect', () => {
      const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: {} }));
      client.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
    });
    client.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const headerEnd = buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/content-length:\s*(\d+)/i.exec(buffer.subarray(0, headerEnd).toString())?.[1]);
      if (buffer.length < headerEnd + 4 + length) return;
      const message = JSON.parse(buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8')) as { id?: number; result?: DaemonStatus };
      if (message.id === 1) done(message.result ?? null);
      else buffer = buffer.subarray(headerEnd + 4 + length);
    });
  });
}

export async function daemonCommand(args: readonly string[], options: DaemonCommandOptions): Promise<number> {
  const address = currentAddress(options.version);
  const print = (status: DaemonStatus | null, text: string) => process.stdout.write(`${options.json ? JSON.stringify(status) : text}\n`);
  if (args[0] === 'status') {
    const status = await askDaemon(address.socket, DAEMON_STATUS);
    print(status, status ? daemonStatusText(status) : daemonNotRunningText(address.socket));
    return status ? 0 : 1;
  }
  if (args[0] === 'stop') {
    const status = await askDaemon(address.socket, DAEMON_STOP);
    print(status, status ? daemonStoppedText(status) : daemonNotRunningText(address.socket));
    return 0;
  }
  const logger = createStderrLogger('tinytorch-milestones daemon');
  const idle = Number(process.env.TINYTORCH_MILESTONES_DAEMON_IDLE_MS);
  const [{ runDaemon }, { createSessionStarter }, { createWatcherHub }, { startWatchers }] = await Promise.all([
    import('./serve.js'),
    import('./session.js'),
    import('./watcher-hub.js'),
    import('../cli/watchers.js'),
  ]);
  const outcome = await runDaemon({
    address,
    uid: process.getuid?.() ?? 0,
    version: options.version,
    build: BUILD,
    idleMs: idle > 0 ? idle : DEFAULT_IDLE_MS,
    startSession: createSessionStarter({ logger, version: options.version, hub: createWatcherHub(startWatchers), rootPathOf: options.rootPathOf }),
    logger,
    exit: (code) => process.exit(code),
  });
  if (outcome === 'already-running') {
    process.stderr.write(`${daemonAlreadyRunningText(address.socket)}\n`);
    return 0;
  }
  return -1; // the daemon decides when to exit
}
