// A strict JSON-RPC client over the built sidecar's stdio, for end-to-end tests: any non-frame byte on stdout is recorded.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RpcPeer, type Exit } from './rpc-peer.js';

export const BIN = fileURLToPath(new URL('../../bin/tinytorch-milestones.js', import.meta.url));

/** End-to-end tests spawn dist/: one older than the sources would test yesterday's code, so say so at once. */
function assertBuildIsFresh(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const newest = (folder: string): number =>
    readdirSync(folder, { withFileTypes: true }).reduce((latest, entry) => {
      const path = join(folder, entry.name);
      return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }, 0);
  const built = join(root, 'dist', 'cli.cjs');
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` before the end-to-end tests');
  if (statSync(built).mtimeMs < Math.max(newest(join(root, 'src')), newest(join(root, 'protocol')))) {
    throw new Error('dist/ is older than src/ or protocol/: run `npm run build` before the end-to-end tests');
  }
}
assertBuildIsFresh();

export interface SidecarOptions {
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Extra node flags, e.g. ['--import', fixture] to preload a noisy module. */
  nodeArgs?: string[];
  /** Another copy of the command (bin/tinytorch-milestones.js beside its dist/); the built one by default. */
  bin?: string;
}

export { frame, type RpcMessage } from './rpc-peer.js';

/** The built sidecar, spawned with --stdio. */
export class Sidecar extends RpcPeer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<Exit>;

  constructor(options: SidecarOptions = {}) {
    super();
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.bin ?? BIN, '--stdio', ...(options.args ?? [])], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    // A sidecar that exited (or stopped reading) must not crash the test process with EPIPE: the test sees the exit.
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  protected write(bytes: Buffer | string): void {
    this.child.stdin.write(bytes);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
