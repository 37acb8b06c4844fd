// Reads LSP-framed JSON-RPC without trusting the peer: resynchronises at the next Content-Length header
// whatever came before, caps message size, and reports what it could not deliver so that it gets an answer.
import type { Readable } from 'node:stream';
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from 'vscode-jsonrpc/node';
import { MAX_MESSAGE_BYTES, Method } from '../../protocol/plain.js';
import type { FramingProblem } from '../core/messages.js';

/** A header line longer than this is not kept in memory: it is read through (and ignored) as it arrives. */
const LINE_LIMIT = 8 * 1024;
const TOKEN = /content-length:/i;
/** Bytes kept back while searching, so that a header split across two reads is still found. */
const TOKEN_TAIL = 'content-length:'.length - 1;
/** While skipping an oversized body, how much of its end is kept to find a header that interrupts it. */
const SKIP_TAIL = 1024;
const LENGTH_LINE = /^content-length:[ \t]*(\d+)[ \t]*$/i;
/** Skipped junk is logged once it reaches this much, and at every resynchronisation. */
const SKIP_REPORT_BYTES = 1024 * 1024;
const SEARCH_WINDOW = 4096;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What the reader could not deliver: answered with an error (id null unless the message had a usable one), or logged. */
export interface ReaderProblem {
  readonly problem: FramingProblem;
  readonly id: string | number | null;
}

export interface FramedReaderOptions {
  readonly maxMessageBytes?: number;
  readonly onProblem: (problem: ReaderProblem) => void;
  /**
   * Called for each request before it is delivered, so the server can count what it owes an answer. False refuses it:
   * vscode-jsonrpc keys its queue by the id's text, so a second request with the id of one still pending (`5` or `"5"`)
   * would replace that one and leave it unanswered.
   */
  readonly onRequest: (id: string | number) => boolean;
  /** End of input, after every problem in it was reported: the server drains and exits. */
  readonly onEnd: () => void;
}

type Mode =
  | { readonly kind: 'seek' }
  /** At a `Content-Length:` header; `lines` counts the header lines read so far. */
  | { kind: 'header'; lines: number; length: number | null; badHeader: string | null; longLine: boolean; scanned: number }
  /** Reading a body of `length` bytes; an oversized one is not kept (`keep` false), only scanned. */
  | { kind: 'body'; length: number; received: number; keep: boolean; chunks: Buffer[]; tail: Buffer; scan: JsonScan };

/**
 * Watches a body go by for proof that it is not JSON: a `c` outside a string (no JSON token has one, so a
 * `Content-Length:` there is a new message) or a raw control character inside one (a header's line break).
 * A body with a length that is too long is cut short by the next message this way, instead of swallowing it.
 */
class JsonScan {
  private inString = false;
  private escaped = false;

  /** Index of the first byte that proves `bytes` (the body's continuation) is not JSON, or -1. */
  find(bytes: Uint8Array): number {
    let { inString, escaped } = this;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === 0x5c) escaped = true;
        else if (byte === 0x22) inString = false;
        else if (byte < 0x20) return i;
      } else if (byte === 0x22) inString = true;
      else if (byte === 0x63 || byte === 0x43) return i;
    }
    this.inString = inString;
    this.escaped = escaped;
    return -1;
  }
}

function hasRequestId(params: unknown): boolean {
  const id = typeof params === 'object' && params !== null ? (params as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number';
}

/** Where the next `Content-Length:` starts in buffer[from, to), or -1; reads no further than it has to. */
function searchToken(buffer: Buffer, from: number, to = buffer.length): number {
  for (let start = Math.max(0, from); to - start > TOKEN_TAIL; start += SEARCH_WINDOW - TOKEN_TAIL) {
    const end = Math.min(to, start + SEARCH_WINDOW);
    const at = buffer.toString('latin1', start, end).search(TOKEN);
    if (at !== -1) return start + at;
    if (end === to) break;
  }
  return -1;
}

function startsWithToken(buffer: Buffer): boolean {
  return buffer.length > TOKEN_TAIL && buffer.toString('latin1', 0, TOKEN_TAIL + 1).toLowerCase() === 'content-length:';
}

/** Where a `Content-Length:` header, whole or cut off by the end, starts in `body`; -1 when none does. */
function headerStartIn(body: Buffer): number {
  const whole = searchToken(body, 0);
  const text = body.toString('latin1', Math.max(0, body.length - TOKEN_TAIL)).toLowerCase();
  for (let at = 0; at < text.length; at++) {
    if ('content-length:'.startsWith(text.slice(at))) {
      const cut = body.length - text.length + at;
      return whole === -1 ? cut : Math.min(whole, cut);
    }
  }
  return whole;
}

const EMPTY = Buffer.alloc(0);
/** The header every client sends in practice, byte for byte (wholeFrame). */
const FAST_HEADER = Buffer.from('Content-Length: ', 'latin1');
const newHeader = (): Mode => ({ kind: 'header', lines: 0, length: null, badHeader: null, longLine: false, scanned: 0 });

export class FramedMessageReader extends AbstractMessageReader {
  /** Bytes not yet consumed by the current mode. */
  private pending: Buffer = EMPTY;
  private mode: Mode = { kind: 'seek' };
  private skipped = 0;
  private callback: DataCallback | null = null;
  private readonly maxMessageBytes: number;

  constructor(
    private readonly input: Readable,
    private readonly options: FramedReaderOptions,
  ) {
    super();
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => this.onData(chunk);
    const onEnd = () => this.onEnd();
    const onError = (error: Error) => this.fireError(error);
    this.input.on('data', onData);
    this.input.on('end', onEnd);
    this.input.on('error', onError);
    return {
      dispose: () => {
        this.input.off('data', onData);
        this.input.off('end', onEnd);
        this.input.off('error', onError);
      },
    };
  }

  /** Feeds bytes as they arrive (public for tests that drive the reader without a stream). */
  onData(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length > 0 && (this.wholeFrame() || this.step())) {
      // keep going while there is something to consume
    }
  }

  /**
   * The common case in one step: at a message boundary, `Content-Length: N\r\n\r\n` exactly and the whole body here,
   * UTF-8 JSON. It delivers what the modes below would, without their per-message objects and strings (a valid JSON
   * body never holds what JsonScan looks for). Anything else, a bad body included, is left to them, untouched.
   */
  private wholeFrame(): boolean {
    const pending = this.pending;
    if (this.mode.kind !== 'seek' || this.skipped !== 0 || pending.length < FAST_HEADER.length + 5) return false;
    if (pending.compare(FAST_HEADER, 0, FAST_HEADER.length, 0, FAST_HEADER.length) !== 0) return false;
    let at = FAST_HEADER.length;
    let length = 0;
    for (; at < pending.length && at < FAST_HEADER.length + 10; at++) {
      const byte = pending[at]!;
      if (byte < 0x30 || byte > 0x39) break;
      length = length * 10 + (byte - 0x30);
    }
    if (at === FAST_HEADER.length || pending[at] !== 0x0d || pending[at + 1] !== 0x0a || pending[at + 2] !== 0x0d || pending[at + 3] !== 0x0a) return false;
    const start = at + 4;
    if (length > this.maxMessageBytes || pending.length < start + length) return false;
    let message: unknown;
    try {
      message = JSON.parse(utf8.decode(pending.subarray(start, start + length)));
    } catch {
      return false;
    }
    this.consume(start + length);
    this.deliver(message, length);
    return true;
  }

  onEnd(): void {
    const mode = this.mode;
    if (mode.kind === 'header') {
      this.problem({ kind: 'input-ended', bytes: this.pending.length, length: null });
    } else if (mode.kind === 'body' && mode.keep) {
      this.problem({ kind: 'input-ended', bytes: mode.received, length: mode.length });
    } else {
      this.skip(this.pending.length);
    }
    this.pending = EMPTY;
    this.mode = { kind: 'seek' };
    this.reportSkipped();
    this.options.onEnd();
  }

  private step(): boolean {
    switch (this.mode.kind) {
      case 'seek':
        return this.seek();
      case 'header':
        return this.header(this.mode);
      case 'body':
        return this.body(this.mode);
    }
  }

  private problem(problem: FramingProblem, id: string | number | null = null): void {
    this.options.onProblem({ problem, id });
  }

  private skip(bytes: number): void {
    this.skipped += bytes;
    if (this.skipped >= SKIP_REPORT_BYTES) this.reportSkipped();
  }

  private reportSkipped(): void {
    if (this.skipped === 0) return;
    this.problem({ kind: 'skipped-bytes', bytes: this.skipped });
    this.skipped = 0;
  }

  private consume(bytes: number): void {
    this.pending = this.pending.subarray(bytes);
  }

  /** Anything before a `Content-Length:` header is not protocol: drop it, keeping a tail that may start one. */
  private seek(): boolean {
    // The usual case first: the next message starts right here.
    const at = startsWithToken(this.pending) ? 0 : searchToken(this.pending, 0);
    if (at === -1) {
      const drop = Math.max(0, this.pending.length - TOKEN_TAIL);
      this.skip(drop);
      this.consume(drop);
      return false;
    }
    this.skip(at);
    this.reportSkipped();
    this.consume(at);
    this.mode = newHeader();
    return true;
  }

  /** Header lines, one at a time, never more than LINE_LIMIT of one kept; a new `Content-Length:` restarts. */
  private header(mode: Extract<Mode, { kind: 'header' }>): boolean {
    const newline = this.pending.indexOf(0x0a, mode.scanned);
    const end = newline === -1 ? this.pending.length : newline + 1;
    // A header that starts inside this line means the one being read was not a message: resynchronise there.
    const restart = searchToken(this.pending, Math.max(mode.scanned - TOKEN_TAIL, mode.lines === 0 && !mode.longLine ? 1 : 0), end);
    if (restart !== -1) {
      this.skip(restart);
      this.reportSkipped();
      this.consume(restart);
      this.mode = newHeader();
      return true;
    }
    if (newline === -1) {
      mode.scanned = this.pending.length;
      if (this.pending.length <= LINE_LIMIT) return false;
      // An over-long line: read it through. The Content-Length line itself cannot be that long.
      if (mode.lines === 0 && !mode.longLine) mode.badHeader = this.pending.toString('latin1', 0, 80);
      mode.longLine = true;
      this.consume(this.pending.length - TOKEN_TAIL);
      mode.scanned = TOKEN_TAIL;
      return false;
    }
    mode.scanned = 0;
    const line = this.pending.toString('latin1', 0, newline > 0 && this.pending[newline - 1] === 0x0d ? newline - 1 : newline);
    this.consume(newline + 1);
    if (mode.longLine) {
      mode.longLine = false;
      mode.lines++;
      return true;
    }
    if (mode.lines === 0) {
      const match = LENGTH_LINE.exec(line);
      const length = match ? Number(match[1]) : NaN;
      if (Number.isSafeInteger(length)) mode.length = length;
      else mode.badHeader = line.slice(0, 80);
      mode.lines++;
      return true;
    }
    if (line !== '') {
      // Content-Type or anything else: nothing the sidecar needs.
      mode.lines++;
      return true;
    }
    if (mode.badHeader !== null || mode.length === null) {
      this.problem({ kind: 'bad-length', header: mode.badHeader ?? '' });
      this.mode = { kind: 'seek' };
      return true;
    }
    const keep = mode.length <= this.maxMessageBytes;
    if (!keep) this.problem({ kind: 'oversized', bytes: mode.length, limit: this.maxMessageBytes });
    const body: Mode = { kind: 'body', length: mode.length, received: 0, keep, chunks: [], tail: EMPTY, scan: new JsonScan() };
    this.mode = body;
    return mode.length === 0 ? this.body(body) : true;
  }

  private body(mode: Extract<Mode, { kind: 'body' }>): boolean {
    const part = this.pending.subarray(0, Math.min(this.pending.length, mode.length - mode.received));
    const notJson = mode.scan.find(part);
    if (notJson !== -1) {
      // Not JSON, so not this message any more: answer it, and look for the next header in what came so far.
      if (mode.keep) {
        this.problem({ kind: 'interrupted', bytes: mode.received + notJson, length: mode.length });
        this.pending = Buffer.concat([...mode.chunks, this.pending]);
      } else {
        this.skip(mode.received - mode.tail.length);
        this.pending = Buffer.concat([mode.tail, this.pending]);
      }
      this.mode = { kind: 'seek' };
      return true;
    }
    this.consume(part.length);
    mode.received += part.length;
    if (mode.keep) mode.chunks.push(part);
    else mode.tail = Buffer.concat([mode.tail, part]).subarray(-SKIP_TAIL);
    if (mode.received < mode.length) return false;
    this.mode = { kind: 'seek' };
    if (!mode.keep) {
      this.skip(mode.length);
      return true;
    }
    const body = mode.chunks.length === 1 ? mode.chunks[0]! : Buffer.concat(mode.chunks, mode.length);
    const message = this.parse(body);
    if (message === undefined) {
      // A body that is not JSON may have swallowed the start of the next header: read on from there.
      const at = headerStartIn(body);
      if (at !== -1) this.pending = Buffer.concat([body.subarray(at), this.pending]);
      return true;
    }
    this.deliver(message, body.length);
    return true;
  }

  /** The message in a body, or undefined (and the problem reported) when it is not UTF-8 JSON. */
  private parse(body: Buffer): unknown {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      this.problem({ kind: 'not-utf8' });
      return undefined;
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      this.problem({ kind: 'not-json', detail: (error as Error).message });
      return undefined;
    }
  }

  private deliver(message: unknown, bytes: number): void {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.problem({ kind: Array.isArray(message) ? 'batch' : 'not-an-object' });
      return;
    }
    const candidate = message as { id?: unknown; method?: unknown; result?: unknown; error?: unknown };
    const id = candidate.id;
    const validId = typeof id === 'string' || typeof id === 'number';
    if (typeof candidate.method === 'string') {
      if (id === undefined) {
        // vscode-jsonrpc reads `params.id` of a cancel unguarded: one without it would crash the process.
        if (candidate.method === Method.CancelRequest && !hasRequestId((message as { params?: unknown }).params)) {
          this.skip(bytes);
          return;
        }
        this.callback?.(message as Message);
        return;
      }
      if (!validId) {
        this.problem({ kind: 'bad-id' });
        return;
      }
      if (!this.options.onRequest(id)) {
        this.problem({ kind: 'duplicate-id', id }, id);
        return;
      }
      this.callback?.(message as Message);
      return;
    }
    if (validId && ('result' in candidate || 'error' in candidate)) {
      this.callback?.(message as Message);
      return;
    }
    this.problem({ kind: 'no-method' }, validId ? id : null);
  }
}
