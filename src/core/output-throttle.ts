// Turns a run's output lines into milestones/runOutput notifications: bounded in rate and size, bursts coalesced.

export type OutputStream = 'stdout' | 'stderr';

export interface OutputChunk {
  readonly stream: OutputStream;
  readonly text: string;
}

/** Time, injected so that tests drive it with a fake clock. `schedule` returns a cancel function. */
export interface ThrottleScheduler {
  now(): number;
  schedule(callback: () => void, delayMs: number): () => void;
}

export interface OutputThrottleOptions {
  readonly emit: (chunk: OutputChunk) => void;
  readonly scheduler: ThrottleScheduler;
  /** At most this many notifications a second (default 20). */
  readonly maxPerSecond?: number;
  /** At most this many characters (UTF-16 code units) in one notification (default 16 KiB). */
  readonly maxChars?: number;
  /** Characters waiting per stream; beyond it, new output is dropped and a marker says so (default 64 KiB). */
  readonly maxPendingChars?: number;
  /** The line that stands for dropped output. */
  readonly droppedMarker?: (lines: number) => string;
}

export interface OutputThrottle {
  /** Queues output, usually complete lines; emits at once when the rate allows, else later. */
  push(chunk: OutputChunk): void;
  /** Emits everything queued now, whatever the rate: call it before answering the run. */
  flush(): void;
  /** Flushes, stops the timer, and ignores later pushes. */
  close(): void;
}

export function droppedOutputMarker(lines: number): string {
  return `[… ${lines} line${lines === 1 ? '' : 's'} of output skipped: too much output to stream …]\n`;
}

interface Pending {
  /** Texts, and dropped-line counts that become one marker each. */
  readonly parts: Array<string | { dropped: number }>;
  chars: number;
  /** Arrival order of the oldest queued part, so the stream that waited longest goes first. */
  since: number;
}

export function createOutputThrottle(options: OutputThrottleOptions): OutputThrottle {
  const intervalMs = 1000 / (options.maxPerSecond ?? 20);
  const maxChars = options.maxChars ?? 16 * 1024;
  const maxPendingChars = options.maxPendingChars ?? 64 * 1024;
  const marker = options.droppedMarker ?? droppedOutputMarker;
  const { scheduler, emit } = options;
  const pending: Record<OutputStream, Pending> = {
    stdout: { parts: [], chars: 0, since: 0 },
    stderr: { parts: [], chars: 0, since: 0 },
  };
  let arrivals = 0;
  let lastEmitAt = Number.NEGATIVE_INFINITY;
  let cancelTimer: (() => void) | null = null;
  let closed = false;

  function enqueue({ stream, text }: OutputChunk): void {
    if (text === '') return;
    const queue = pending[stream];
    if (queue.parts.length === 0) queue.since = ++arrivals;
    const room = maxPendingChars - queue.chars;
    const kept = text.length <= room ? text.length : room > 0 ? cutPoint(text, room, false) : 0;
    if (kept > 0) {
      queue.parts.push(text.slice(0, kept));
      queue.chars += kept;
    }
    if (kept === text.length) return;
    const lines = countLines(text.slice(kept));
    const last = queue.parts[queue.parts.length - 1];
    if (typeof last === 'object') last.dropped += lines;
    else queue.parts.push({ dropped: lines });
  }

  /** The stream whose queued output arrived first, or null when nothing waits. */
  function oldest(): OutputStream | null {
    const out = pending.stdout.parts.length > 0 ? pending.stdout : null;
    const err = pending.stderr.parts.length > 0 ? pending.stderr : null;
    if (out && err) return out.since <= err.since ? 'stdout' : 'stderr';
    return out ? 'stdout' : err ? 'stderr' : null;
  }

  /** Emits one notification of at most maxChars from the given stream. */
  function emitOne(stream: OutputStream): void {
    const queue = pending[stream];
    let text = '';
    while (queue.parts.length > 0) {
      const head = queue.parts[0]!;
      const part = typeof head === 'string' ? head : marker(head.dropped);
      const room = maxChars - text.length;
      if (part.length <= room) {
        text += part;
        queue.parts.shift();
        if (typeof head === 'string') queue.chars -= head.length;
        continue;
      }
      if (text === '' || typeof head === 'string') {
        const cut = cutPoint(part, room, text === '');
        if (cut > 0) {
          const rest = part.slice(cut);
          text += part.slice(0, cut);
          queue.parts[0] = rest;
          queue.chars += typeof head === 'string' ? -cut : rest.length;
        }
      }
      break;
    }
    if (queue.parts.length > 0) queue.since = ++arrivals;
    lastEmitAt = scheduler.now();
    if (text !== '') emit({ stream, text });
  }

  function pump(): void {
    cancelTimer = null;
    const stream = oldest();
    if (stream === null || closed) return;
    const wait = lastEmitAt + intervalMs - scheduler.now();
    if (wait > 0) {
      cancelTimer = scheduler.schedule(pump, wait);
      return;
    }
    emitOne(stream);
    if (oldest() !== null) cancelTimer = scheduler.schedule(pump, intervalMs);
  }

  function flush(): void {
    cancelTimer?.();
    cancelTimer = null;
    for (let stream = oldest(); stream !== null; stream = oldest()) emitOne(stream);
  }

  return {
    push(chunk) {
      if (closed) return;
      enqueue(chunk);
      if (cancelTimer === null) pump();
    },
    flush,
    close() {
      if (closed) return;
      flush();
      closed = true;
    },
  };
}

function countLines(text: string): number {
  let lines = 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) lines++;
  return text.endsWith('\n') ? lines : lines + 1;
}

/**
 * Where to cut `text` to fit `room` characters: after the last newline that fits,
 * or, when `mustTake` (nothing else fits in this notification), mid-line but never inside a surrogate pair.
 */
function cutPoint(text: string, room: number, mustTake: boolean): number {
  const newline = text.lastIndexOf('\n', room - 1);
  if (newline !== -1) return newline + 1;
  if (!mustTake) return 0;
  const code = text.charCodeAt(room - 1);
  return code >= 0xd800 && code <= 0xdbff && room > 1 ? room - 1 : room;
}
