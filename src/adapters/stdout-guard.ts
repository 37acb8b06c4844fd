// Keeps stdout for protocol frames only: anything else written to it (console.log, a dependency) goes to stderr.
import { Writable } from 'node:stream';

let protocolOutput: Writable | null = null;

/** Installs the guard (once) and returns the only stream that still reaches the real stdout. */
export function guardStdout(): Writable {
  if (protocolOutput) return protocolOutput;
  const stdout = process.stdout;
  const writeToStdout = stdout.write.bind(stdout) as (chunk: Uint8Array | string, callback?: (error?: Error | null) => void) => boolean;
  const writeToStderr = process.stderr.write.bind(process.stderr);
  stdout.write = ((chunk: Uint8Array | string, ...rest: unknown[]) => writeToStderr(chunk, ...(rest as []))) as typeof stdout.write;
  protocolOutput = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writeToStdout(chunk, (error) => callback(error ?? null));
    },
    final(callback) {
      writeToStdout('', () => callback());
    },
  });
  return protocolOutput;
}

// Imported first by the entry point: in stdio mode, nothing evaluated after this line can reach stdout.
if (process.argv.includes('--stdio')) guardStdout();
