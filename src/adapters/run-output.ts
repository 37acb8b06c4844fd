// A run's output as people see it: complete lines per stream, and the last bytes of everything.
import { Buffer } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';

/** A line longer than this (a progress bar redrawn with \r) is handed on in pieces rather than held whole. */
const MAX_PARTIAL_CHARS = 16 * 1024;

/** Decodes one stream's bytes as UTF-8 and hands on complete lines only, with the rest at end(). */
export class LineBuffer {
  readonly #decoder = new StringDecoder('utf8');
  #partial = '';

  constructor(readonly onLines: (text: string) => void) {}

  write(bytes: Buffer | string): void {
    // Only the new text is searched for a newline, so a line that never ends costs linear time.
    const chunk = typeof bytes === 'string' ? bytes : this.#decoder.write(bytes);
    const end = chunk.lastIndexOf('\n') + 1;
    const text = this.#partial + chunk;
    const cut = end > 0 ? this.#partial.length + end : text.length >= MAX_PARTIAL_CHARS ? text.length : 0;
    this.#partial = text.slice(cut);
    if (cut > 0) this.onLines(text.slice(0, cut));
  }

  /** Flushes the last line even when it has no newline. */
  end(): void {
    const text = this.#partial + this.#decoder.end();
    this.#partial = '';
    if (text !== '') this.onLines(text);
  }
}

/** Keeps the last `maxBytes` UTF-8 bytes of what it is given, never cutting a character in two. */
export class OutputTail {
  #text = '';

  constructor(readonly maxBytes = 4096) {}

  append(text: string): void {
    this.#text += text;
    if (this.#text.length * 3 <= this.maxBytes) return; // a UTF-16 unit is at most 3 bytes of UTF-8
    const bytes = Buffer.from(this.#text, 'utf8');
    if (bytes.length <= this.maxBytes) return;
    let start = bytes.length - this.maxBytes;
    while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
    this.#text = bytes.subarray(start).toString('utf8');
  }

  get text(): string {
    return this.#text;
  }
}

/** Drops ANSI escape sequences (colour), which pytest adds when FORCE_COLOR or PY_COLORS asks for them. */
export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '');
}
