// `tinytorch-milestones connect`: stdio bridged to the per-user daemon (started when missing), for clients that
// cannot open a Unix socket themselves (the shell client); it serves stdio itself when the daemon cannot be used.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensurePrivateFolder, type DaemonAddress } from './paths.js';
import { isClientVariable } from './client-variables.js';

const START_TIMEOUT_MS = 5000;

/** Reuse is on unless TINYTORCH_MILESTONES_DAEMON=0 (or false, no, off). */
export const daemonWanted = (env: NodeJS.ProcessEnv): boolean => !['0', 'false', 'no', 'off'].includes((env.TINYTORCH_MILESTONES_DAEMON ?? '').toLowerCase());

function tryConnect(path: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => resolve(null));
  });
}

/** The environment a daemon starts with: this one, without the settings that belong to each client's session. */
export function daemonEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('TINYTORCH_') || name.startsWith('TINYTORCH_MILESTONES_DAEMON') || name === 'TINYTORCH_MILESTONES_DEBUG') clean[name] = value;
  }
  return clean;
}

/** Connects to the daemon, starting it detached (its stderr in its log) when none answers; null when it cannot be had. */
export async function connectOrStart(address: DaemonAddress, command: { file: string; args: readonly string[] }): Promise<Socket | null> {
  const first = await tryConnect(address.socket);
  if (first) return first;
  try {
    ensurePrivateFolder(address.folder, process.getuid?.() ?? 0);
  } catch {
    return null;
  }
  const log = openSync(address.log, 'a', 0o600);
  let failed = false;
  try {
    // In / like any daemon: the folder it was started from may be deleted while it runs.
    const child = spawn(command.file, [...command.args, 'daemon'], { cwd: '/', detached: true, stdio: ['ignore', 'ignore', log], env: daemonEnvironment(process.env) });
    child.once('error', () => (failed = true));
    child.once('exit', (code) => (failed = code !== 0));
    child.unref();
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let delayMs = 2; Date.now() < deadline && !failed; delayMs = Math.min(delayMs * 2, 25)) {
    await sleep(delayMs);
    const socket = await tryConnect(address.socket);
    if (socket) return socket;
  }
  return null;
}

interface FirstFrame {
  readonly bytes: Buffer;
  readonly header: number;
  readonly length: number;
}

/** Reads stdin up to the end of its first frame; null at end of input or when it is not a frame. */
function readFirstFrame(input: Readable): Promise<{ frame: FirstFrame | null; buffered: Buffer }> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const finish = (frame: FirstFrame | null) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      resolve({ frame, buffered });
    };
    const onEnd = () => finish(null);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const header = buffered.indexOf('\r\n\r\n');
      if (header < 0) return buffered.length > 8192 ? finish(null) : undefined;
      const length = Number(/^content-length:\s*(\d+)\s*$/im.exec(buffered.subarray(0, header).toString('latin1'))?.[1] ?? NaN);
      if (!Number.isInteger(length)) return finish(null);
      if (buffered.length >= header + 4 + length) finish({ bytes: buffered, header, length });
    };
    input.on('data', onData);
    input.on('end', onEnd);
  });
}

function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

/** The input again, from its first byte: what was read ahead, then the rest of stdin. */
function replay(buffered: Buffer, input: Readable): Readable {
  const stream = new PassThrough();
  stream.write(buffered);
  input.pipe(stream);
  input.resume();
  return stream;
}

/**
 * Bridges stdin and stdout to the daemon when the client's first message is `initialize` (the client's directory and
 * environment are added to it); otherwise, or when no daemon can be had, returns the input for serving stdio here.
 */
export async function bridge(options: { address: DaemonAddress; command: { file: string; args: readonly string[] } }): Promise<{ input: Readable } | null> {
  const input = process.stdin;
  if (!daemonWanted(process.env)) return { input };
  const { frame: first, buffered } = await readFirstFrame(input);
  if (!first) return { input: replay(buffered, input) };
  let message: { method?: unknown; params?: { initializationOptions?: Record<string, unknown> | null } };
  try {
    message = JSON.parse(first.bytes.subarray(first.header + 4, first.header + 4 + first.length).toString('utf8'));
  } catch {
    return { input: replay(buffered, input) };
  }
  if (message.method !== 'initialize' || typeof message.params !== 'object' || message.params === null) return { input: replay(buffered, input) };
  const socket = await connectOrStart(options.address, options.command);
  if (!socket) return { input: replay(buffered, input) };
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (isClientVariable(name) && value !== undefined) env[name] = value;
  const initializationOptions = { ...(message.params.initializationOptions ?? {}), client: { cwd: process.cwd(), env } };
  socket.write(frame({ ...message, params: { ...message.params, initializationOptions } }));
  socket.write(first.bytes.subarray(first.header + 4 + first.length));
  input.pipe(socket);
  input.resume();
  socket.pipe(process.stdout);
  socket.on('error', () => {});
  socket.once('close', () => process.stdout.end(() => process.exit(0)));
  return null;
}
