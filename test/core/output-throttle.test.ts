// The runOutput throttle, driven by a fake clock: rate, coalescing, size caps, dropping and order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createOutputThrottle, droppedOutputMarker, type OutputChunk, type OutputThrottleOptions, type ThrottleScheduler } from '../../src/core/output-throttle.js';

/** A clock that moves only when told to, running due callbacks in time order. */
function fakeClock(): ThrottleScheduler & { advance(ms: number): void; timers(): number } {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    schedule(callback, delayMs) {
      const id = nextId++;
      timers.set(id, { at: now + delayMs, callback });
      return () => void timers.delete(id);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = end;
    },
    timers: () => timers.size,
  };
}

function setup(options: Partial<OutputThrottleOptions> = {}) {
  const clock = fakeClock();
  const emitted: Array<OutputChunk & { at: number }> = [];
  const throttle = createOutputThrottle({ scheduler: clock, emit: (chunk) => emitted.push({ ...chunk, at: clock.now() }), ...options });
  return { clock, emitted, throttle };
}

const joined = (chunks: readonly OutputChunk[], stream: OutputChunk['stream']) =>
  chunks
    .filter((chunk) => chunk.stream === stream)
    .map((chunk) => chunk.text)
    .join('');

test('the first line after a quiet spell goes out at once', () => {
  const { emitted, throttle } = setup();
  throttle.push({ stream: 'stdout', text: 'hello\n' });
  assert.equal(emitted, [{ stream: 'stdout', text: 'hello\n', at: 0 }]);
});

test('a burst is coalesced into at most 20 notifications a second', () => {
  const { clock, emitted, throttle } = setup();
  for (let index = 0; index < 1000; index++) {
    throttle.push({ stream: 'stdout', text: `line ${index}\n` });
    clock.advance(2);
  }
  clock.advance(1000);
  // 1000 lines over 2 s, then quiet: about 40 notifications, never two within 50 ms.
  assert.ok(emitted.length <= 42, `${emitted.length} notifications`);
  for (let index = 1; index < emitted.length; index++) assert.ok(emitted[index]!.at - emitted[index - 1]!.at >= 50);
  assert.is(joined(emitted, 'stdout'), Array.from({ length: 1000 }, (_, index) => `line ${index}\n`).join(''));
  assert.is(clock.timers(), 0);
});

test('a notification holds at most maxChars, cut after a newline', () => {
  const { clock, emitted, throttle } = setup({ maxChars: 10, maxPendingChars: 1000 });
  throttle.push({ stream: 'stdout', text: 'x\n' });
  throttle.push({ stream: 'stdout', text: 'abcd\nefgh\nijkl\n' });
  clock.advance(1000);
  assert.equal(
    emitted.map((chunk) => chunk.text),
    ['x\n', 'abcd\nefgh\n', 'ijkl\n'],
  );
});

test('a line longer than maxChars is split, never inside a surrogate pair', () => {
  const { emitted, throttle } = setup({ maxChars: 4, maxPendingChars: 1000 });
  throttle.push({ stream: 'stdout', text: 'abc😀def\n' });
  throttle.flush();
  assert.equal(
    emitted.map((chunk) => chunk.text),
    ['abc', '😀de', 'f\n'],
  );
});

test('output beyond the pending bound is dropped, with a marker where it was dropped', () => {
  const { clock, emitted, throttle } = setup({ maxChars: 100, maxPendingChars: 20 });
  throttle.push({ stream: 'stdout', text: 'first\n' }); // emitted at once
  throttle.push({ stream: 'stdout', text: 'aaaa\nbbbb\ncccc\ndddd\neeee\nffff\n' }); // 20 fit, 2 lines dropped
  throttle.push({ stream: 'stdout', text: 'gggg\n' }); // dropped too
  clock.advance(60);
  throttle.push({ stream: 'stdout', text: 'last\n' });
  clock.advance(1000);
  assert.is(joined(emitted, 'stdout'), `first\naaaa\nbbbb\ncccc\ndddd\n${droppedOutputMarker(3)}last\n`);
});

test('each stream keeps its order, and the stream that waited longest goes first', () => {
  const { clock, emitted, throttle } = setup();
  throttle.push({ stream: 'stdout', text: 'o1\n' });
  throttle.push({ stream: 'stderr', text: 'e1\n' });
  throttle.push({ stream: 'stdout', text: 'o2\n' });
  throttle.push({ stream: 'stderr', text: 'e2\n' });
  throttle.push({ stream: 'stdout', text: 'o3\n' });
  clock.advance(1000);
  assert.equal(
    emitted.map(({ stream, text }) => ({ stream, text })),
    [
      { stream: 'stdout', text: 'o1\n' },
      { stream: 'stderr', text: 'e1\ne2\n' },
      { stream: 'stdout', text: 'o2\no3\n' },
    ],
  );
});

test('interleaved streams still stay within the rate', () => {
  const { clock, emitted, throttle } = setup();
  for (let index = 0; index < 500; index++) {
    throttle.push({ stream: index % 2 ? 'stderr' : 'stdout', text: `${index}\n` });
    clock.advance(1);
  }
  clock.advance(1000);
  assert.ok(emitted.length <= 32, `${emitted.length} notifications`);
});

test('flush sends everything now, whatever the rate; close ignores later output', () => {
  const { clock, emitted, throttle } = setup();
  throttle.push({ stream: 'stdout', text: 'a\n' });
  throttle.push({ stream: 'stdout', text: 'b\n' });
  throttle.push({ stream: 'stderr', text: 'c' });
  throttle.close();
  assert.equal(
    emitted.map((chunk) => chunk.text),
    ['a\n', 'b\n', 'c'],
  );
  assert.is(clock.timers(), 0);
  throttle.push({ stream: 'stdout', text: 'late\n' });
  clock.advance(1000);
  assert.is(emitted.length, 3);
});

test.run();
