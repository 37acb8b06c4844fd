// (c)'s client, in a process of its own: the bench's process (tsx, other benchmarks' garbage, two servers' stdout)
// would add its own pauses to whichever side it happens to be timing. Plain JavaScript, run by bare `node`; it
// allocates little per request (a request frame patched in place, answers counted by scanning bytes, latencies in a
// preallocated Float64Array, time from process.hrtime.bigint) and times both servers in turn, in blocks (A B A B).
//
// node bench/c-client.mjs < JSON   where JSON is {"sides": [{"label", "command": [file, ...args], "env", "alternate"?:
// {"path", "texts": [a, b]}, a progress file rewritten before each request}], "blocks",
// "block", "warmup", "pipelined", "pipelinedRounds", "gc": true}. It prints one JSON line: for each side its
// latencies' percentiles, rates, and, with "gc", where the slowest samples overlapped a garbage collection of the
// client or of the server (the server is started with c-gc-probe.cjs preloaded, which reports its collections).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

// On stdin, not in argv: the servers' environments are in it, and argv is visible to every user in `ps`.
const config = JSON.parse(readFileSync(0, 'utf8'));
const PROBE = fileURLToPath(new URL('./c-gc-probe.cjs', import.meta.url));
const ID_DIGITS = 9;
const ID_BASE = 10 ** (ID_DIGITS - 1);
const HEADER_END = Buffer.from('\r\n\r\n');
/** How much of a body tells an answer from an error or a notification. */
const HEAD_BYTES = 40;
const RESULT = 0;
const ERROR = 1;
const NOTIFICATION = 2;

/** The monotonic clock in ns, shared by every process of the machine (CLOCK_MONOTONIC), as a Number. */
const now = () => Number(process.hrtime.bigint());
/** This process's performance.now() origin on that clock, to place GC entries on it. */
const origin = now() - performance.now() * 1e6;

/** Garbage collections, [start, end] in ns on the shared clock. */
const clientGc = [];
if (config.gc) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) clientGc.push([origin + entry.startTime * 1e6, origin + (entry.startTime + entry.duration) * 1e6]);
  }).observe({ entryTypes: ['gc'] });
}

function ctxtSwitches(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(status)?.[1]);
  } catch {
    return NaN;
  }
}

class Side {
  constructor(spec, capacity) {
    this.label = spec.label;
    this.alternate = spec.alternate ?? null;
    const args = config.gc ? ['--require', PROBE, ...spec.command.slice(1)] : spec.command.slice(1);
    this.child = spawn(spec.command[0], args, { env: spec.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.child.stderr.on('data', (chunk) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.pending = null;
    this.pendingLength = 0;
    this.skip = 0;
    this.kind = RESULT;
    this.answers = 0;
    this.expected = 0;
    this.onDone = null;
    this.errors = 0;
    this.notifications = 0;
    this.latencies = new Float64Array(capacity);
    this.sentAt = new Float64Array(capacity);
    this.samples = 0;
    this.sent = 0;
    this.nextId = ID_BASE;
    const body = `{"jsonrpc":"2.0","id":${ID_BASE},"method":"milestones/progress","params":{}}`;
    this.frame = Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    this.idAt = this.frame.indexOf(String(ID_BASE));
    this.child.stdout.on('data', (chunk) => this.onData(chunk));
  }

  /**
   * Counts whole answers; an error answer counts as an error. A body is skipped, never copied: only a header cut in two
   * by the pipe is joined, so a 300 KB answer (catalogs of 1,000 milestones) costs the client no more than its reads.
   */
  onData(chunk) {
    let buffer = chunk;
    let at = 0;
    if (this.skip > 0) {
      at = Math.min(this.skip, buffer.length);
      this.skip -= at;
      if (this.skip > 0) return;
      this.finish(this.kind);
    }
    if (this.pendingLength > 0) {
      buffer = Buffer.concat([this.pending, buffer.subarray(at)]);
      at = 0;
      this.pendingLength = 0;
    }
    for (;;) {
      const headerEnd = buffer.indexOf(HEADER_END, at);
      if (headerEnd < 0) break;
      let length = 0;
      // `Content-Length: N` is the last header line of both servers: read the number just before the blank line.
      let digit = headerEnd - 1;
      while (buffer[digit] >= 0x30 && buffer[digit] <= 0x39) digit--;
      for (let index = digit + 1; index < headerEnd; index++) length = length * 10 + (buffer[index] - 0x30);
      const bodyStart = headerEnd + 4;
      if (buffer.length < bodyStart + Math.min(length, HEAD_BYTES)) break;
      // {"jsonrpc":"2.0","id":N,"result":...} or ..."error":...: the key after the id says which. A notification
      // ({"jsonrpc":"2.0","method":...) is no answer.
      const kind = buffer[bodyStart + 18] !== 0x69 ? NOTIFICATION : buffer[bodyStart + 22 + ID_DIGITS + 2] !== 0x72 ? ERROR : RESULT;
      if (buffer.length < bodyStart + length) {
        this.skip = bodyStart + length - buffer.length;
        this.kind = kind;
        at = buffer.length;
        break;
      }
      at = bodyStart + length;
      this.finish(kind);
    }
    if (at < buffer.length) {
      this.pending = buffer.subarray(at);
      this.pendingLength = this.pending.length;
    }
  }

  finish(kind) {
    if (kind === NOTIFICATION) {
      this.notifications++;
      return;
    }
    if (kind === ERROR) this.errors++;
    this.answer();
  }

  answer() {
    const received = now();
    const index = this.samples;
    if (this.recording && index < this.latencies.length) {
      this.latencies[index] = received - this.sentAt[index];
      this.samples++;
    }
    this.answers++;
    if (this.sequential && this.answers < this.expected) this.send();
    if (this.answers === this.expected) {
      const done = this.onDone;
      this.onDone = null;
      done();
    }
  }

  send() {
    let id = this.nextId++;
    const parity = id & 1;
    for (let index = this.idAt + ID_DIGITS - 1; index >= this.idAt; index--) {
      this.frame[index] = 0x30 + (id % 10);
      id = Math.floor(id / 10);
    }
    // A side that changes its progress file before each request (f's uncached answers): written before the clock starts.
    if (this.alternate) writeFileSync(this.alternate.path, this.alternate.texts[parity]);
    if (this.recording && this.samples < this.sentAt.length) this.sentAt[this.samples] = now();
    this.child.stdin.write(this.frame);
  }

  /** `count` requests, each sent when the previous one is answered. */
  sequentialBlock(count, recording) {
    return new Promise((resolve) => {
      this.sequential = true;
      this.recording = recording;
      this.answers = 0;
      this.expected = count;
      const started = now();
      this.onDone = () => resolve(count / ((now() - started) / 1e9));
      this.send();
    });
  }

  /** `count` requests written at once (each its own frame), then every answer awaited. */
  pipelinedBlock(count) {
    return new Promise((resolve) => {
      this.sequential = false;
      this.recording = false;
      this.answers = 0;
      this.expected = count;
      const frames = [];
      for (let index = 0; index < count; index++) {
        const body = `{"jsonrpc":"2.0","id":${this.nextId++},"method":"milestones/progress","params":{}}`;
        frames.push(Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`));
      }
      const started = now();
      this.onDone = () => resolve(count / ((now() - started) / 1e9));
      for (const frame of frames) this.child.stdin.write(frame);
    });
  }

  async close() {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  /** The server's collections, as reported by the probe at exit. */
  serverGc() {
    const line = this.stderr.split('\n').find((text) => text.startsWith('c-gc-probe '));
    return line ? JSON.parse(line.slice('c-gc-probe '.length)) : [];
  }
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return NaN;
  const rank = fraction * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

const median = (values) => percentile(Float64Array.from(values).sort(), 0.5);

/** Of the samples slower than `threshold` ns, how many overlapped a collection in `intervals` (sorted by start). */
function overlapping(side, threshold, intervals) {
  let slow = 0;
  let hit = 0;
  for (let index = 0; index < side.samples; index++) {
    if (side.latencies[index] < threshold) continue;
    slow++;
    const start = side.sentAt[index];
    const end = start + side.latencies[index];
    if (intervals.some(([from, to]) => from < end && to > start)) hit++;
  }
  return { slow, hit };
}

const GC_KINDS = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
/** Collections by kind: count, total and longest, in ms. */
function byKind(intervals) {
  const kinds = {};
  for (const [from, to, kind] of intervals) {
    const name = GC_KINDS[kind] ?? kind;
    kinds[name] ??= { count: 0, ms: 0, maxMs: 0, medianMs: 0, all: [] };
    const entry = kinds[name];
    entry.count++;
    entry.all.push((to - from) / 1e6);
    entry.medianMs = median(entry.all);
    entry.ms += (to - from) / 1e6;
    entry.maxMs = Math.max(entry.maxMs, (to - from) / 1e6);
  }
  for (const entry of Object.values(kinds)) delete entry.all;
  return kinds;
}

const blocks = config.blocks;
const block = config.block;
const sides = config.sides.map((spec) => new Side(spec, blocks * block));
try {
  const switchesBefore = [];
  // Warm-up (JIT, caches), not recorded.
  for (const side of sides) await side.sequentialBlock(config.warmup, false);
  for (const side of sides) switchesBefore.push([ctxtSwitches(side.child.pid), ctxtSwitches(process.pid)]);
  const rates = sides.map(() => []);
  for (let round = 0; round < blocks; round++) {
    for (const [index, side] of sides.entries()) rates[index].push(await side.sequentialBlock(block, true));
  }
  const switchesAfter = sides.map((side) => [ctxtSwitches(side.child.pid), ctxtSwitches(process.pid)]);
  const piped = sides.map(() => []);
  for (let round = 0; round < (config.pipelinedRounds ?? 0); round++) {
    for (const [index, side] of sides.entries()) piped[index].push(await side.pipelinedBlock(config.pipelined));
  }
  for (const side of sides) await side.close();
  const result = sides.map((side, index) => {
    const sorted = side.latencies.slice(0, side.samples).sort();
    const ms = (fraction) => percentile(sorted, fraction) / 1e6;
    const figures = {
      label: side.label,
      samples: side.samples,
      errors: side.errors,
      notifications: side.notifications,
      rate: median(rates[index]),
      pipelined: piped[index].length ? median(piped[index]) : null,
      p50: ms(0.5),
      p90: ms(0.9),
      p99: ms(0.99),
      p999: ms(0.999),
      max: sorted[sorted.length - 1] / 1e6,
      involuntarySwitches: { server: switchesAfter[index][0] - switchesBefore[index][0] },
    };
    if (config.gc) {
      const threshold = percentile(sorted, 0.99);
      const serverGc = side.serverGc();
      const client = overlapping(side, threshold, clientGc);
      const server = overlapping(side, threshold, serverGc);
      const either = overlapping(side, threshold, [...clientGc, ...serverGc]);
      const within = (intervals) => intervals.filter(([from]) => from >= side.sentAt[0] && from <= side.sentAt[side.samples - 1]);
      figures.tail = {
        atOrAboveP99: client.slow,
        overlapClientGc: client.hit,
        overlapServerGc: server.hit,
        overlapEither: either.hit,
        serverGcs: within(serverGc).length,
        serverGcMs: within(serverGc).reduce((sum, [from, to]) => sum + (to - from) / 1e6, 0),
        clientGcs: within(clientGc).length,
        serverGcKinds: byKind(within(serverGc)),
      };
    }
    return figures;
  });
  process.stdout.write(`${JSON.stringify({ sides: result })}\n`);
} catch (error) {
  for (const side of sides) side.child.kill('SIGKILL');
  process.stderr.write(`${error?.stack ?? error}\n${sides.map((side) => side.stderr.slice(-500)).join('\n')}\n`);
  process.exitCode = 1;
}
