// Fuzzed protocol input against one running built sidecar: generated cases in batches, a valid request after each.
// Quick (CI): 10,000 small cases from a fixed seed. Long: rounds of 20,000 cases, every third with the 8 MiB ± 1 cases
// and megabytes of junk, new seeds (printed) until the time is up. FUZZ_SEED=N replays a seed; FUZZ_DUMP=PATH writes
// the bytes of a batch that went unanswered.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_MESSAGE_BYTES } from '../protocol/index.js';
import { BIN } from '../test/helpers/rpc-client.js';
import type { Campaign, SoakOptions, SoakResult } from './campaign.js';

export interface FuzzOptions {
  readonly cases: number;
  readonly seed: number;
  /** `small` keeps every case under about 10 KB (for CI); `big` adds the 8 MiB ± 1 cases and megabytes of junk (for the soak). */
  readonly size?: 'small' | 'normal' | 'big';
  /** How long a batch's closing request may take before it counts as unanswered. */
  readonly answerTimeoutMs?: number;
}

export interface FuzzFigures {
  seed: number;
  cases: number;
  batches: number;
  bytesSent: number;
  /** Times the sidecar exited (it is restarted to go on). */
  crashes: number;
  /** Requests with a usable id (the closing ones included) that got no answer. */
  unanswered: number;
  /** Answers with id null: framing and invalid-request errors. */
  nullIdErrors: number;
  /** -32603 answers and stack traces on stderr: bugs, not refusals. */
  internalErrors: number;
  stackTraces: number;
  /** Bytes on stdout that were not a frame. */
  strayBytes: number;
  durationMs: number;
  /** What went wrong, the first few of each. */
  notes: string[];
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (below: number) => Math.floor(next() * below),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Random = ReturnType<typeof random>;

const framed = (body: Buffer | string, header?: string) => {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(header ?? `Content-Length: ${bytes.length}\r\n\r\n`, 'latin1'), bytes]);
};

/** Requests the fuzzer may send with a usable id: read-only or harmless, never exit, shutdown, run or reset. */
const METHODS = [
  'milestones/progress',
  'milestones/list',
  'milestones/catalog',
  'milestones/checkExport',
  'milestones/markCompleted',
  'milestones/nope',
  'initialize',
  '',
  'x'.repeat(300),
];

interface Case {
  readonly bytes: Buffer;
  /** Ids that must be answered. */
  readonly expect: ReadonlyArray<string | number>;
}

function junk(r: Random, size: number): Buffer {
  const kind = r.int(4);
  if (kind === 0) return Buffer.from(Array.from({ length: size }, () => r.int(256)));
  if (kind === 1) return Buffer.alloc(size, r.pick(['a', '\n', '\r\n', '{', '"', '\\', ' ']));
  if (kind === 2)
    return Buffer.from(
      Array.from({ length: size }, () => r.pick(['Content-Length: ', '\r\n', '\n', '12', '{"', '"}', ':', 'Content-Type: x', ' ', '\\', '\u00e9']))
        .join('')
        .slice(0, size),
      'utf8',
    );
  return Buffer.from(Array.from({ length: size }, () => String.fromCharCode(32 + r.int(95))).join(''), 'latin1');
}

function nested(r: Random, depth: number): string {
  const open = r.chance(0.5) ? '[' : '{"a":';
  const close = open === '[' ? ']' : '}';
  return `${open.repeat(depth)}1${close.repeat(depth)}`;
}

function oddId(r: Random, index: number): string | number {
  switch (r.int(8)) {
    case 0:
      return -index - 1;
    case 1:
      return index + 0.5;
    case 2:
      return 2 ** 52 + index;
    case 3:
      return `é-${index}-\u{1f600}`;
    case 4:
      return `${'i'.repeat(r.int(5000))}-${index}`;
    case 5:
      return `\u0000\n"-${index}`;
    case 6:
      return 0 - index * 1e-3 - 1e-6;
    default:
      return `f${index}`;
  }
}

function params(r: Random): unknown {
  switch (r.int(9)) {
    case 0:
      return {};
    case 1:
      return { module: r.pick(['00_setup', '01_tensor', '../x', '', 'x'.repeat(2000), 42, null, '\u0000']) };
    case 2:
      return { id: r.pick(['perceptron', 'nope', '../../etc', 7]) };
    case 3:
      return [1, 2];
    case 4:
      return null;
    case 5:
      return { module: '01_tensor', unknownField: { deep: [1, { x: 'y' }] }, workDoneToken: 'w' };
    case 6:
      return 'a string';
    case 7:
      return { processId: null, rootUri: r.pick([null, 'file:///nowhere', 'file://host/x', 'http://x', 5]), capabilities: {} };
    default:
      return undefined;
  }
}

/** One generated case: bytes to send, and the ids they oblige the sidecar to answer. */
function generate(r: Random, index: number, size: 'small' | 'normal' | 'big'): Case {
  const big = size === 'big';
  const cap = size === 'small' ? 2_000 : 100_000;
  const id = oddId(r, index);
  const request = () => ({ jsonrpc: '2.0', id, method: r.pick(METHODS), params: params(r) });
  switch (r.int(15)) {
    case 0:
      return { bytes: junk(r, r.chance(0.9) ? r.int(200) : r.int(big ? 3_000_000 : Math.min(cap, 70_000))), expect: [] };
    case 1: {
      // A length that lies: too short, too long, negative, not a number, huge.
      const body = JSON.stringify(request());
      const length = r.pick([0, 1, body.length - 1, body.length + 1, body.length + 500, -5, 99999999999, 1e21]);
      return { bytes: framed(body, `Content-Length: ${r.chance(0.2) ? 'abc' : length}\r\n\r\n`), expect: [] };
    }
    case 2: {
      // A well-formed request with extra headers, LF-only framing, or a header block over 8 KiB.
      const body = Buffer.from(JSON.stringify(request()), 'utf8');
      const extra = r.pick(['Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n', `X-Pad: ${'p'.repeat(9000)}\r\n`, '']);
      const header = r.chance(0.3) ? `Content-Length: ${body.length}\n\n` : `Content-Length: ${body.length}\r\n${extra}\r\n`;
      return { bytes: framed(body, header), expect: [id] };
    }
    case 3: {
      const text = Buffer.from(JSON.stringify(request()), 'utf8');
      const at = r.int(text.length);
      text[at] = r.pick([0xff, 0xc3, 0x80, 0xed]);
      return { bytes: framed(text), expect: [] };
    }
    case 4:
      return { bytes: framed(r.pick(['{oops', '{"jsonrpc":"2.0",', '', 'null', 'true', '"x"', '12', '{"id":1,', '{}}', '\u00ff'])), expect: [] };
    case 5:
      return { bytes: framed(JSON.stringify(Array.from({ length: r.int(4) }, request))), expect: [] };
    case 6: {
      const depth = r.pick([10, 1000, 20_000, size === 'small' ? 2_000 : 200_000]);
      return { bytes: framed(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"milestones/checkExport","params":{"module":${nested(r, depth)}}}`), expect: [id] };
    }
    case 7: {
      const depth = r.pick([1000, size === 'small' ? 2_000 : 100_000]);
      return { bytes: framed(nested(r, depth)), expect: [] };
    }
    case 8:
      return { bytes: framed(JSON.stringify({ jsonrpc: '2.0', id: r.pick([null, true, { a: 1 }, [1]]), method: 'milestones/progress', params: {} })), expect: [] };
    case 9:
      // Unknown fields around a good request, and notifications nobody knows.
      return {
        bytes: Buffer.concat([
          framed(JSON.stringify({ ...request(), extra: { x: [1, 2] }, jsonrpc: r.pick(['2.0', '1.0', undefined]) })),
          framed(JSON.stringify({ jsonrpc: '2.0', method: r.pick(['$/cancelRequest', '$/unknown', 'initialized', 'workspace/didChangeConfiguration']), params: params(r) })),
        ]),
        expect: [id],
      };
    case 10: {
      // A good request cut into pieces with junk between: only the pieces' own header counts.
      const good = framed(JSON.stringify(request()));
      return { bytes: Buffer.concat([junk(r, r.int(40)), good]), expect: [id] };
    }
    case 11:
      // Responses and cancels for requests that never were.
      return {
        bytes: framed(
          JSON.stringify(
            r.pick([
              { jsonrpc: '2.0', id, result: null },
              { jsonrpc: '2.0', id, error: { code: 1, message: 'x' } },
              { jsonrpc: '2.0', method: '$/cancelRequest', params: { id } },
            ]),
          ),
        ),
        expect: [],
      };
    case 12:
      if (big) {
        // 8 MiB ± 1: at the limit a message is read, one byte more and it is skipped.
        const size = MAX_MESSAGE_BYTES + r.pick([-1, 0, 1]);
        const head = `{"jsonrpc":"2.0","id":"big-${index}","method":"milestones/checkExport","params":{"module":"`;
        const body = `${head}${'x'.repeat(size - head.length - 4)}"}}`;
        return { bytes: framed(body.padEnd(size, ' ')), expect: size <= MAX_MESSAGE_BYTES ? [`big-${index}`] : [] };
      }
      return { bytes: framed(JSON.stringify({ ...request(), params: { module: 'y'.repeat(r.int(cap)) } })), expect: [id] };
    case 13:
      // A header split over many writes happens in `send`; here, a header that never ends before the next one.
      return { bytes: Buffer.from(`Content-Length: ${r.int(100)}\r\n${junk(r, r.int(50)).toString('latin1')}`, 'latin1'), expect: [] };
    default:
      return { bytes: framed(JSON.stringify(request())), expect: [id] };
  }
}

/** A sidecar and what came out of it: answered ids, counts, stderr. */
class Target {
  child!: ChildProcessWithoutNullStreams;
  exited = false;
  stderr = '';
  private buffer: Buffer = Buffer.alloc(0);
  readonly answered = new Map<string, number>();
  nullIdErrors = 0;
  internalErrors = 0;
  strayBytes = 0;
  private waiters = new Map<string, () => void>();

  constructor(private readonly args: string[]) {
    this.start();
  }

  start(): void {
    this.exited = false;
    this.buffer = Buffer.alloc(0);
    this.child = spawn(process.execPath, [BIN, '--stdio', ...this.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TINYTORCH_WORKSPACE: '', TINYTORCH_CATALOG: '' },
    });
    this.child.stdin.on('error', () => {});
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 1_000_000) this.stderr += chunk.toString('utf8');
    });
    this.child.on('exit', () => {
      this.exited = true;
      for (const wake of this.waiters.values()) wake();
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const match = /^Content-Length: (\d+)$/.exec(this.buffer.toString('latin1', 0, end));
      if (!match) {
        this.strayBytes++;
        this.buffer = this.buffer.subarray(1);
        continue;
      }
      const length = Number(match[1]);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.toString('utf8', end + 4, end + 4 + length)) as { id?: unknown; method?: string; error?: { code: number } };
      this.buffer = this.buffer.subarray(end + 4 + length);
      if (message.method !== undefined) continue;
      if (message.error?.code === -32603) this.internalErrors++;
      if (message.id === null) {
        this.nullIdErrors++;
        continue;
      }
      const key = JSON.stringify(message.id);
      this.answered.set(key, (this.answered.get(key) ?? 0) + 1);
      this.waiters.get(key)?.();
    }
  }

  /** Writes the bytes in random pieces, with a pause now and then so that a header really arrives split. */
  async send(r: Random, bytes: Buffer): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const size = r.chance(0.7) ? bytes.length - at : 1 + r.int(Math.min(64, bytes.length - at));
      const ok = this.child.stdin.write(bytes.subarray(at, at + size));
      at += size;
      if (!ok) await new Promise<void>((resolve) => this.child.stdin.once('drain', () => resolve()));
      if (at < bytes.length && r.chance(0.05)) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Resolves true when `id` has an answer, false on exit or timeout. */
  waitFor(id: string | number, timeoutMs: number): Promise<boolean> {
    const key = JSON.stringify(id);
    if (this.answered.has(key)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(key);
        resolve(this.answered.has(key));
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.set(key, done);
      if (this.exited) done();
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

export async function fuzz(options: FuzzOptions): Promise<FuzzFigures> {
  const r = random(options.seed);
  const folder = mkdtempSync(join(tmpdir(), 'ttm-fuzz-'));
  const target = new Target(['--progress-file', join(folder, 'progress.json')]);
  const figures: FuzzFigures = {
    seed: options.seed,
    cases: 0,
    batches: 0,
    bytesSent: 0,
    crashes: 0,
    unanswered: 0,
    nullIdErrors: 0,
    internalErrors: 0,
    stackTraces: 0,
    strayBytes: 0,
    durationMs: 0,
    notes: [],
  };
  const note = (text: string) => {
    if (figures.notes.length < 20) figures.notes.push(text);
  };
  const startedAt = performance.now();
  const expected: Array<string | number> = [];
  const batchOf = new Map<string | number, Buffer[]>();
  try {
    while (figures.cases < options.cases) {
      const size = 1 + r.int(8);
      const parts: Buffer[] = [];
      for (let i = 0; i < size && figures.cases < options.cases; i++) {
        const generated = generate(r, figures.cases, options.size ?? 'normal');
        parts.push(generated.bytes);
        expected.push(...generated.expect);
        if (process.env.FUZZ_DUMP) for (const id of generated.expect) batchOf.set(id, parts);
        figures.cases++;
      }
      const closing = `closing-${figures.batches}`;
      parts.push(framed(JSON.stringify({ jsonrpc: '2.0', id: closing, method: 'milestones/catalog', params: {} })));
      const bytes = Buffer.concat(parts);
      figures.bytesSent += bytes.length;
      figures.batches++;
      await target.send(r, bytes);
      if (!(await target.waitFor(closing, options.answerTimeoutMs ?? 30_000))) {
        figures.unanswered++;
        note(`batch ${figures.batches - 1}: the closing request was not answered${target.exited ? ' (the sidecar exited)' : ''}`);
        if (process.env.FUZZ_DUMP) writeFileSync(`${process.env.FUZZ_DUMP}-${figures.batches - 1}`, bytes);
      }
      if (target.exited) {
        figures.crashes++;
        note(`the sidecar exited after batch ${figures.batches - 1}: ${target.stderr.slice(-400)}`);
        target.start();
      }
    }
    // Answers may overtake each other: the cases' own requests are checked once everything has settled.
    const closing = 'closing-final';
    await target.send(r, framed(JSON.stringify({ jsonrpc: '2.0', id: closing, method: 'milestones/catalog', params: {} })));
    await target.waitFor(closing, options.answerTimeoutMs ?? 30_000);
    for (const id of expected) {
      if (!(await target.waitFor(id, 100))) {
        figures.unanswered++;
        note(`no answer to the request with id ${JSON.stringify(id).slice(0, 60)}`);
        if (process.env.FUZZ_DUMP) writeFileSync(`${process.env.FUZZ_DUMP}-id`, Buffer.concat(batchOf.get(id) ?? []));
      }
    }
  } finally {
    await target.stop();
    rmSync(folder, { recursive: true, force: true });
  }
  figures.nullIdErrors = target.nullIdErrors;
  figures.internalErrors = target.internalErrors;
  figures.strayBytes = target.strayBytes;
  figures.stackTraces = (target.stderr.match(/\n\s+at /g) ?? []).length;
  if (figures.stackTraces) note(`stderr: ${target.stderr.slice(target.stderr.search(/\n\s+at /) - 300).slice(0, 600)}`);
  figures.durationMs = Math.round(performance.now() - startedAt);
  return figures;
}

type Counts = Omit<FuzzFigures, 'notes' | 'seed'>;
const COUNTS: ReadonlyArray<keyof Counts> = ['cases', 'batches', 'bytesSent', 'crashes', 'unanswered', 'nullIdErrors', 'internalErrors', 'stackTraces', 'strayBytes', 'durationMs'];

export const campaign: Campaign = {
  title: 'Fuzzed protocol input: junk, lying lengths, split headers, bad UTF-8 and JSON, batches, odd ids, deep nesting, 8 MiB ± 1',
  async run(options: SoakOptions): Promise<SoakResult> {
    const fixed = process.env.FUZZ_SEED === undefined ? null : Number(process.env.FUZZ_SEED);
    const total: Counts = { cases: 0, batches: 0, bytesSent: 0, crashes: 0, unanswered: 0, nullIdErrors: 0, internalErrors: 0, stackTraces: 0, strayBytes: 0, durationMs: 0 };
    const notes: string[] = [];
    const seeds: number[] = [];
    const deadline = Date.now() + options.durationMs;
    for (let round = 0; round === 0 || (!options.quick && Date.now() < deadline); round++) {
      const seed = fixed ?? (options.quick ? 20261201 : Math.floor(Math.random() * 2 ** 31));
      const size = options.quick ? 'small' : round % 3 === 2 ? 'big' : 'normal';
      const cases = options.quick ? (options.requests ?? 10_000) : 20_000;
      const figures = await fuzz({ cases, seed, size });
      seeds.push(seed);
      for (const name of COUNTS) total[name] += figures[name];
      notes.push(...figures.notes.map((line) => `seed ${seed}: ${line}`));
      options.log(`seed ${seed} (${size}): ${figures.cases} cases, ${figures.crashes} crashes, ${figures.unanswered} unanswered, ${(figures.durationMs / 1000).toFixed(1)} s`);
    }
    for (const line of notes.slice(0, 20)) options.log(line);
    const failures = [
      ...(total.crashes ? [`the sidecar exited ${total.crashes} times`] : []),
      ...(total.unanswered ? [`${total.unanswered} requests were not answered`] : []),
      ...(total.internalErrors || total.stackTraces ? [`${total.internalErrors} internal errors and ${total.stackTraces} stack trace lines: bugs, not refusals`] : []),
      ...(total.strayBytes ? [`${total.strayBytes} bytes on stdout were not frames`] : []),
    ];
    return { ok: failures.length === 0, figures: { seeds: seeds.join(' '), ...total }, failures };
  },
};
