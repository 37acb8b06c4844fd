// A strict JSON-RPC peer over any byte streams: frames out, frames in, and any non-frame byte it receives is recorded.
import { scaled } from './time.js';

export interface RpcMessage {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string; data?: any };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

/** The client side of a session: a spawned sidecar (rpc-client.ts) or an in-memory one (in-memory-sidecar.ts). */
export abstract class RpcPeer {
  readonly messages: RpcMessage[] = [];
  /** Bytes received that were not part of a frame: must stay empty. */
  strayStdout = '';
  stderr = '';
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private listeners: Array<() => void> = [];
  abstract readonly exited: Promise<Exit>;

  /** Writes bytes to the server's input. */
  protected abstract write(bytes: Buffer | string): void;
  /** Closes the server's input. */
  abstract endInput(): void;
  /** For after hooks: ends the session whatever state it is in. */
  abstract dispose(): Promise<void>;

  protected onData(chunk: Buffer): void {
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
    this.write(frame(message));
  }

  sendRaw(bytes: Buffer | string): void {
    this.write(bytes);
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

  async waitExit(timeoutMs = 5000): Promise<Exit> {
    const limit = scaled(timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`session still running after ${limit} ms; stderr: ${this.stderr.slice(-500)}`)), limit);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
