// A strict JSON-RPC client over the built sidecar's stdio, for end-to-end tests: any non-frame byte on stdout is recorded.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaled } from './time.js';

export const BIN = fileURLToPath(new URL('../../bin/tinytorch-milestones.js', import.meta.url));

/** End-to-end tests spawn dist/: one older than the sources would test yesterday's code, so say so at once. */
function assertBuildIsFresh(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const newest = (folder: string): number =>
    readdirSync(folder, { withFileTypes: true }).reduce((latest, entry) => {
      const path = join(folder, entry.name);
      return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }, 0);
  const built = join(root, 'dist', 'cli.js');
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` before the end-to-end tests');
  if (statSync(built).mtimeMs < Math.max(newest(join(root, 'src')), newest(join(root, 'protocol')))) {
    throw new Error('dist/ is older than src/ or protocol/: run `npm run build` before the end-to-end tests');
  }
}
assertBuildIsFresh();

export interface RpcMessage {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string; data?: any };
}

export interface SidecarOptions {
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Extra node flags, e.g. ['--import', fixture] to preload a noisy module. */
  nodeArgs?: string[];
}

export function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

export class Sidecar {
  readonly child: ChildProcessWithoutNullStreams;
  readonly messages: RpcMessage[] = [];
  /** Bytes on stdout that were not part of a frame: must stay empty. */
  strayStdout = '';
  stderr = '';
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private listeners: Array<() => void> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(options: SidecarOptions = {}) {
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, '--stdio', ...(options.args ?? [])], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd === -1) break;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const match = /^Content-Length: (\d+)$/i.exec(header.split('\r\n').find((line) => /^content-length:/i.test(line)) ?? '');
      if (!header.startsWith('Content-Length:') || !match) {
        // Not a frame: record the stray byte and move on.
        this.strayStdout += this.buffer.subarray(0, 1).toString('latin1');
        this.buffer = this.buffer.subarray(1);
        continue;
      }
      const length = Number(match[1]);
      if (this.buffer.length < headerEnd + 4 + length) break;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.messages.push(JSON.parse(body) as RpcMessage);
    }
    for (const listener of this.listeners) listener();
  }

  send(message: unknown): void {
    this.child.stdin.write(frame(message));
  }

  sendRaw(bytes: Buffer | string): void {
    this.child.stdin.write(bytes);
  }

  /** Sends a request and returns its id, without waiting. */
  post(method: string, params: unknown = {}): number {
    const id = this.nextId++;
    this.send({ jsonrpc: '2.0', id, method, params });
    return id;
  }

  notify(method: string, params: unknown = {}): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  async request(method: string, params: unknown = {}, timeoutMs = 5000): Promise<RpcMessage> {
    const id = this.post(method, params);
    return this.response(id, timeoutMs);
  }

  response(id: number | string | null, timeoutMs = 5000): Promise<RpcMessage> {
    return this.waitFor((message) => message.id === id && message.method === undefined, timeoutMs, `the answer to request ${id}`);
  }

  /** Resolves with the first message (already received or to come) that matches. */
  waitFor(predicate: (message: RpcMessage) => boolean, timeoutMs = 5000, what = 'a message'): Promise<RpcMessage> {
    const limit = scaled(timeoutMs);
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(predicate);
        if (found) {
          cleanup();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${limit} ms waiting for ${what}; stderr: ${this.stderr.slice(-500)}`));
      }, limit);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((listener) => listener !== check);
      };
      this.listeners.push(check);
      check();
    });
  }

  notifications(method: string): RpcMessage[] {
    return this.messages.filter((message) => message.method === method && message.id === undefined);
  }

  async initialize(initializationOptions: Record<string, unknown> = {}, rootUri: string | null = null): Promise<RpcMessage> {
    const answer = await this.request('initialize', { processId: process.pid, rootUri, capabilities: {}, initializationOptions });
    this.notify('initialized', {});
    return answer;
  }

  endInput(): void {
    this.child.stdin.end();
  }

  async waitExit(timeoutMs = 2000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const limit = scaled(timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`sidecar still running after ${limit} ms; stderr: ${this.stderr.slice(-500)}`)), limit);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** For after hooks: ends the process whatever state it is in. */
  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
