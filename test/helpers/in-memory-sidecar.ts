// A whole session in this process: PassThrough streams -> the real connection and framed reader -> the router and
// handlers -> the real file store. No build and no spawn: protocol tests run in milliseconds.
import { PassThrough } from 'node:stream';
import { startSession } from '../../src/cli.js';
import type { Settings } from '../../src/core/config.js';
import { RpcPeer, type Exit } from './rpc-peer.js';

export interface InMemoryOptions {
  /** As the command-line flags would give them (progressFile, catalog, workspace, ...). */
  readonly flags?: Settings;
  /** The environment settings are read from; none by default, so the tests' own TINYTORCH_* never leak in. */
  readonly env?: NodeJS.ProcessEnv;
}

export class InMemorySidecar extends RpcPeer {
  readonly exited: Promise<Exit>;
  /** Resolves once the session is listening (or rejects when it could not start, like a bad catalog). */
  readonly started: Promise<void>;
  private readonly input = new PassThrough();
  private readonly output = new PassThrough();
  private ended = false;

  constructor(options: InMemoryOptions = {}) {
    super();
    this.output.on('data', (chunk: Buffer) => this.onData(chunk));
    let exit: (code: Exit) => void = () => {};
    this.exited = new Promise((resolve) => (exit = resolve));
    const log = (level: string) => (message: string) => (this.stderr += `${level}: ${message}\n`);
    this.started = startSession({
      input: this.input,
      output: this.output,
      flags: options.flags ?? {},
      logger: { info: log('info'), warn: log('warning'), error: log('error') },
      env: options.env ?? {},
      exit: (code) => {
        this.ended = true;
        exit({ code, signal: null });
      },
    });
  }

  protected write(bytes: Buffer | string): void {
    this.input.write(bytes);
  }

  endInput(): void {
    this.input.end();
  }

  /** Ends the session as end of input would (every request answered, runs cancelled, watchers closed). */
  async dispose(): Promise<void> {
    await this.started.catch(() => {});
    if (!this.ended) this.endInput();
    await this.started.then(
      () => this.exited,
      () => undefined,
    );
  }
}
