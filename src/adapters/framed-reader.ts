// Reads LSP-framed JSON-RPC without trusting the peer: skips junk, caps message size, answers bad JSON.
import type { Readable } from 'node:stream';
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from 'vscode-jsonrpc/node';
import { CancelRequestNotification, MAX_MESSAGE_BYTES } from '../../protocol/index.js';

const HEADER_LIMIT = 8 * 1024;
const CONTENT_LENGTH = /^content-length:\s*(\d+)\s*$/im;

/** What the reader could not deliver, for the server to answer (id null) or log. */
export type ReaderProblem =
  | { kind: 'oversized'; bytes: number }
  | { kind: 'parse-error'; detail: string }
  | { kind: 'invalid-request'; id: string | number | null; detail: string }
  | { kind: 'skipped-bytes'; bytes: number };

export interface FramedReaderOptions {
  readonly maxMessageBytes?: number;
  readonly onProblem: (problem: ReaderProblem) => void;
  /** Called for each request delivered, so the server can count what it owes an answer. */
  readonly onRequest: (id: string | number) => void;
  /** End of input: the server drains and exits; the connection itself is not told, so it keeps answering. */
  readonly onEnd: () => void;
}

function findHeaderEnd(buffer: Buffer): { end: number; bodyStart: number } | null {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return null;
  // LF-only framing is accepted too: a hand-written client should not hang.
  if (crlf !== -1 && (lf === -1 || crlf <= lf)) return { end: crlf, bodyStart: crlf + 4 };
  return { end: lf, bodyStart: lf + 2 };
}

function hasRequestId(params: unknown): boolean {
  const id = typeof params === 'object' && params !== null ? (params as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number';
}

export class FramedMessageReader extends AbstractMessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private bodyLength: number | null = null;
  private skipRemaining = 0;
  private callback: DataCallback | null = null;

  constructor(
    private readonly input: Readable,
    private readonly options: FramedReaderOptions,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => this.onData(chunk);
    const onEnd = () => this.options.onEnd();
    this.input.on('data', onData);
    this.input.on('end', onEnd);
    this.input.on('error', (error) => this.fireError(error));
    return {
      dispose: () => {
        this.input.off('data', onData);
        this.input.off('end', onEnd);
      },
    };
  }

  private take(length: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const head = all.subarray(0, length);
    const rest = all.subarray(length);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }

  private onData(chunk: Buffer): void {
    if (this.skipRemaining > 0) {
      const skipped = Math.min(this.skipRemaining, chunk.length);
      this.skipRemaining -= skipped;
      chunk = chunk.subarray(skipped);
      if (chunk.length === 0) return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.step()) {
      // keep going while whole messages are buffered
    }
  }

  /** Makes one unit of progress; false when it needs more input. */
  private step(): boolean {
    if (this.skipRemaining > 0) {
      const skipped = Math.min(this.skipRemaining, this.buffered);
      this.take(skipped);
      this.skipRemaining -= skipped;
      return this.buffered > 0 && this.skipRemaining === 0;
    }
    if (this.bodyLength === null) return this.readHeader();
    if (this.buffered < this.bodyLength) return false;
    const body = this.take(this.bodyLength);
    this.bodyLength = null;
    this.deliver(body);
    return true;
  }

  private readHeader(): boolean {
    if (this.buffered === 0) return false;
    const buffer = this.take(this.buffered);
    this.chunks = [buffer];
    this.buffered = buffer.length;
    // Resynchronize: anything before a Content-Length header is not protocol.
    const start = buffer.toString('latin1', 0, Math.min(buffer.length, HEADER_LIMIT * 4)).search(/content-length:/i);
    if (start === -1) {
      if (buffer.length > HEADER_LIMIT) {
        this.options.onProblem({ kind: 'skipped-bytes', bytes: buffer.length - 16 });
        this.take(buffer.length - 16);
      }
      return false;
    }
    if (start > 0) {
      this.options.onProblem({ kind: 'skipped-bytes', bytes: start });
      this.take(start);
      return true;
    }
    const header = findHeaderEnd(buffer.subarray(0, HEADER_LIMIT));
    if (!header) {
      if (buffer.length > HEADER_LIMIT) {
        this.options.onProblem({ kind: 'skipped-bytes', bytes: 15 });
        this.take(15); // drop this "Content-Length" and look for the next one
        return true;
      }
      return false;
    }
    const headerText = buffer.toString('latin1', 0, header.end);
    this.take(header.bodyStart);
    const match = CONTENT_LENGTH.exec(headerText);
    const length = match ? Number(match[1]) : NaN;
    if (!Number.isSafeInteger(length)) {
      this.options.onProblem({ kind: 'parse-error', detail: `bad header ${JSON.stringify(headerText.slice(0, 80))}` });
      return true;
    }
    if (length > (this.options.maxMessageBytes ?? MAX_MESSAGE_BYTES)) {
      this.options.onProblem({ kind: 'oversized', bytes: length });
      this.skipRemaining = length;
      return this.buffered > 0;
    }
    this.bodyLength = length;
    return true;
  }

  private deliver(body: Buffer): void {
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch (error) {
      this.options.onProblem({ kind: 'parse-error', detail: (error as Error).message });
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.options.onProblem({ kind: 'invalid-request', id: null, detail: Array.isArray(message) ? 'batches are not supported' : 'a message must be a JSON object' });
      return;
    }
    const candidate = message as { id?: unknown; method?: unknown; result?: unknown; error?: unknown };
    const id = candidate.id;
    const validId = typeof id === 'string' || typeof id === 'number';
    if (typeof candidate.method === 'string') {
      if (id === undefined) {
        // vscode-jsonrpc reads `params.id` of a cancel unguarded: one without it would crash the process.
        if (candidate.method === CancelRequestNotification.method && !hasRequestId((message as { params?: unknown }).params)) {
          this.options.onProblem({ kind: 'skipped-bytes', bytes: body.length });
          return;
        }
        this.callback?.(message as Message);
        return;
      }
      if (!validId) {
        this.options.onProblem({ kind: 'invalid-request', id: null, detail: 'a request id must be a string or a number' });
        return;
      }
      this.options.onRequest(id);
      this.callback?.(message as Message);
      return;
    }
    if (validId && ('result' in candidate || 'error' in candidate)) {
      this.callback?.(message as Message);
      return;
    }
    this.options.onProblem({ kind: 'invalid-request', id: validId ? id : null, detail: 'a message needs a "method" string' });
  }
}
