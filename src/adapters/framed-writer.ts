// Writes LSP-framed JSON-RPC messages: header and body as one buffer, one write (vscode-jsonrpc's writer makes two,
// each awaited behind a semaphore: two system calls and several turns of the event loop per answer).
import type { Writable } from 'node:stream';
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc/node';

export class FramedMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errors = 0;

  constructor(private readonly output: Writable) {
    super();
    output.on('error', (error: Error) => this.fireError(error));
    output.on('close', () => this.fireClose());
  }

  write(message: Message): Promise<void> {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    const frame = Buffer.concat([Buffer.from(`Content-Length: ${body.byteLength}\r\n\r\n`, 'ascii'), body]);
    // The stream keeps writes in order, so no lock is needed: the answer is written once, whole.
    return new Promise((resolve, reject) => {
      this.output.write(frame, (error) => {
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
