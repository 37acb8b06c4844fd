// Writes LSP-framed JSON-RPC messages: header and body as one buffer, one write (vscode-jsonrpc's writer makes two,
// each awaited behind a semaphore: two system calls and several turns of the event loop per answer). Messages written
// in one turn of the event loop leave together, in order, in one system call: an unlocking checkExport's
// `milestones/unlocked` and its answer wake the client once, not twice.
import type { Writable } from 'node:stream';
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc/node';
import { isFrozenAnswer } from '../core/frozen-answer.js';

/**
 * The JSON of each frozen answer (core/frozen-answer.ts) as UTF-8, made once: the warm progress answer is 2 KB of it,
 * and as a string (two bytes a character, for its emoji) it was copied whole again to count and encode its bytes.
 */
const serialized = new WeakMap<object, Buffer>();

/** A success response, `{jsonrpc, id, result}` in that order and nothing else, whose result is a frozen answer. */
function frozenResponse(message: Message): { id: string | number; result: object } | null {
  const response = message as { jsonrpc?: unknown; id?: unknown; result?: unknown };
  if (!isFrozenAnswer(response.result) || (typeof response.id !== 'number' && typeof response.id !== 'string')) return null;
  let index = 0;
  for (const key in response) {
    if (key !== (index === 0 ? 'jsonrpc' : index === 1 ? 'id' : index === 2 ? 'result' : '')) return null;
    index++;
  }
  return response.jsonrpc === '2.0' && index === 3 ? (response as { id: string | number; result: object }) : null;
}

/** The whole frame, header and body in one buffer; the body byte for byte what JSON.stringify(message) gives. */
function frame(message: Message): Buffer {
  const response = frozenResponse(message);
  if (response === null) {
    const body = JSON.stringify(message);
    const length = Buffer.byteLength(body, 'utf8');
    const header = `Content-Length: ${length}\r\n\r\n`;
    const bytes = Buffer.allocUnsafe(header.length + length);
    bytes.write(header, 0, 'latin1');
    bytes.write(body, header.length, 'utf8');
    return bytes;
  }
  let result = serialized.get(response.result);
  if (result === undefined) {
    result = Buffer.from(JSON.stringify(response.result), 'utf8');
    serialized.set(response.result, result);
  }
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(response.id)},"result":`;
  const headLength = Buffer.byteLength(head, 'utf8');
  const length = headLength + result.length + 1;
  const header = `Content-Length: ${length}\r\n\r\n`;
  const bytes = Buffer.allocUnsafe(header.length + length);
  let at = bytes.write(header, 0, 'latin1');
  at += bytes.write(head, at, 'utf8');
  at += result.copy(bytes, at);
  bytes[at] = 0x7d; // }
  return bytes;
}

export class FramedMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errors = 0;
  private corked = false;
  /**
   * On the next tick, after the promise jobs of this turn: a handler's notifications and its answer (written when its
   * promise settles) are all queued by then. A stream gathers the writes it held into one `writev` (net.Socket does).
   */
  private readonly uncork = () => {
    this.corked = false;
    this.output.uncork();
  };

  constructor(private readonly output: Writable) {
    super();
    output.on('error', (error: Error) => this.fireError(error));
    output.on('close', () => this.fireClose());
  }

  write(message: Message): Promise<void> {
    const bytes = frame(message);
    if (!this.corked) {
      this.corked = true;
      this.output.cork();
      process.nextTick(this.uncork);
    }
    // The stream keeps writes in order, so no lock is needed: the answer is written once, whole.
    return new Promise((resolve, reject) => {
      this.output.write(bytes, (error) => {
        if (!error) return resolve();
        this.fireError(error, message, ++this.errors);
        reject(error);
      });
    });
  }

  end(): void {
    this.output.end();
  }
}
