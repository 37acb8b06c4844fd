// What every benchmark shares: figures with ratios and targets, timing of whole processes, a lean JSON-RPC client.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'tinytorch-milestones.js');

/** One measured figure; `ratio` is value / baseline, measured in the same invocation, interleaved. */
export interface Figure {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  readonly baselineLabel?: string;
  readonly ratio?: number;
  /** What the issue asks, in words (`<= 1.4x`), and whether it was met; null: no target. */
  readonly target?: string;
  readonly met?: boolean | null;
  /** A gross regression (3x the target): the CI guard fails on it. */
  readonly gross?: boolean;
  readonly note?: string;
  readonly runs?: number;
}

export interface BenchContext {
  /** Repeats per figure (>= 20; 3 with --quick). */
  readonly runs: number;
  readonly quick: boolean;
  /** A TinyTorch checkout holding the original tests/milestones/milestone_tracker.py, or null. */
  readonly tinytorch: string | null;
  figure(figure: Figure): void;
  log(text: string): void;
}

export interface Bench {
  readonly title: string;
  run(context: BenchContext): Promise<void>;
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = fraction * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `ttm-bench-${prefix}-`));

/** A child's wall time from spawn to exit, in ms; rejects on a non-zero exit (a broken side must not look fast). */
export function timeProcess(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, [...args], { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`${file} ${args.join(' ')} exited with ${code}: ${stderr.slice(-800)}`));
    });
  });
}

/**
 * Runs each side once per round, in turn (A B A B ...), after one unrecorded warm-up round. Each round starts one side
 * further on (A B C, B C A, C A B, ...): the same process measured faster in the third slot of a round than in the
 * first, so a fixed order would lend one side that slot every round. `samples[side][round]` stays paired by round.
 */
export async function interleaved(runs: number, sides: ReadonlyArray<() => Promise<number>>): Promise<number[][]> {
  const samples = sides.map(() => [] as number[]);
  for (const side of sides) await side();
  for (let round = 0; round < runs; round++) {
    for (let slot = 0; slot < sides.length; slot++) {
      const index = (round + slot) % sides.length;
      samples[index]![round] = await sides[index]!();
    }
  }
  return samples;
}

export interface RpcMessage {
  id?: number | string | null;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string; data?: any };
}

/** A lean JSON-RPC peer over a child's stdio: answers matched by id in O(1), for tens of thousands of requests. */
export class RpcProcess {
  readonly child: ChildProcess;
  private buffer: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly waiting = new Map<number | string, (message: RpcMessage) => void>();
  private readonly listeners = new Set<(message: RpcMessage) => void>();
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(file, [...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/content-length:\s*(\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString('latin1'))?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8')) as RpcMessage;
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      if (message.method === undefined && message.id !== undefined && message.id !== null) {
        const resolve = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        resolve?.(message);
      }
      for (const listener of this.listeners) listener(message);
    }
  }

  /** Writes a request now; the promise is its answer. */
  request(method: string, params: unknown = {}): Promise<RpcMessage> {
    const id = this.nextId++;
    const answer = new Promise<RpcMessage>((resolve) => this.waiting.set(id, resolve));
    this.write({ jsonrpc: '2.0', id, method, params });
    return answer;
  }

  notify(method: string, params: unknown = {}): void {
    this.write({ jsonrpc: '2.0', method, params });
  }

  write(message: unknown): void {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    this.child.stdin!.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin!.write(body);
  }

  on(listener: (message: RpcMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for the first message that matches, within `ms`. */
  waitFor(predicate: (message: RpcMessage) => boolean, ms: number, what: string): Promise<RpcMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no ${what} within ${ms} ms; stderr: ${this.stderr.slice(-500)}`));
      }, ms);
      const off = this.on((message) => {
        if (!predicate(message)) return;
        clearTimeout(timer);
        off();
        resolve(message);
      });
    });
  }

  /** Resident set size now, in MiB (Linux /proc). */
  async rssMiB(): Promise<number> {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    return Number(/VmRSS:\s*(\d+) kB/.exec(status)?.[1]) / 1024;
  }

  /** End of input, then the exit (killed after 5 s). */
  async close(): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Our sidecar over stdio with a private HOME and no inherited settings. */
export function sidecarEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('TINYTORCH_') && name !== 'XDG_RUNTIME_DIR') env[name] = value;
  return { ...env, HOME: home, TINYTORCH_CATALOG: 'seed', ...extra };
}

let minimalServer: Promise<string> | null = null;

/** The baseline server: vscode-jsonrpc answering milestones/progress with a constant, bundled as our sidecar is. */
export function buildMinimalServer(): Promise<string> {
  minimalServer ??= (async () => {
    const { build } = await import('esbuild');
    const folder = tempDir('minimal');
    process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
    const outfile = join(folder, 'minimal-server.mjs');
    await build({
      entryPoints: [join(ROOT, 'bench', 'fixtures', 'minimal-server.ts')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20.19',
      outfile,
      logLevel: 'warning',
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    });
    return outfile;
  })();
  return minimalServer;
}

export const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** One server's figures from bench/c-client.mjs: latencies in ms, rates in requests per second. */
export interface LeanSide {
  label: string;
  samples: number;
  errors: number;
  rate: number;
  pipelined: number | null;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  tail?: { atOrAboveP99: number; overlapClientGc: number; overlapServerGc: number; serverGcs: number; clientGcs: number };
}

export interface LeanClientConfig {
  sides: Array<{ label: string; command: string[]; env: NodeJS.ProcessEnv; alternate?: { path: string; texts: [string, string] } }>;
  warmup: number;
  blocks: number;
  block: number;
  pipelined?: number;
  pipelinedRounds?: number;
  gc?: boolean;
}

/**
 * Times servers from bench/c-client.mjs, a lean client in a process of its own (not this one, whose own pauses would
 * land in the figures), blocks interleaved A B A B; throws when a side answered an error.
 */
export function leanClient(config: LeanClientConfig): Promise<LeanSide[]> {
  const client = join(ROOT, 'bench', 'c-client.mjs');
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [client], { maxBuffer: 1 << 20, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}: ${stderr.slice(-800)}`));
      const sides = (JSON.parse(stdout) as { sides: LeanSide[] }).sides;
      const failed = sides.filter((side) => side.errors > 0);
      if (failed.length) return reject(new Error(`error answers from ${failed.map((side) => side.label).join(', ')}`));
      resolve(sides);
    });
    // On stdin, not in argv: the servers' environments are in it, and argv is visible to every user in `ps`.
    child.stdin!.end(JSON.stringify(config));
  });
}
