// The progress file's text, byte for byte: lossless decoding, members kept with their exact text, the original's layout for our keys.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFileBytes, encodeFileText } from '../../src/core/file-text.js';
import { parseJsonMembers } from '../../src/core/json-object.js';
import { parseProgress, serializeProgress } from '../../src/core/progress.js';

/** A small deterministic generator, so a failure names a case that can be run again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

test('any bytes decode and encode back to the same bytes (2,000 random arrays, UTF-8-heavy and raw)', () => {
  const next = random(10);
  const pieces = ['a', 'é', '☕', '🔥', '"', '\\', '\n'].map((text) => [...Buffer.from(text)]);
  for (let round = 0; round < 2_000; round++) {
    const bytes: number[] = [];
    const length = Math.floor(next() * 64);
    while (bytes.length < length) {
      if (next() < 0.5) bytes.push(Math.floor(next() * 256));
      else bytes.push(...(pieces[Math.floor(next() * pieces.length)] as number[]));
    }
    const input = Uint8Array.from(bytes);
    const back = Buffer.from(encodeFileText(decodeFileBytes(input)));
    assert.ok(back.equals(input), `round ${round}: ${Buffer.from(input).toString('hex')} came back as ${back.toString('hex')}`);
  }
});

test('valid UTF-8 decodes as the standard decoder does; each invalid byte is one U+DC80..U+DCFF', () => {
  const text = 'plain, café, ☕, 🔥, \u2028, \u0000 end';
  assert.is(decodeFileBytes(Buffer.from(text)), text);
  assert.is(decodeFileBytes(Uint8Array.from([0x63, 0xe9, 0x21])), 'c\udce9!');
  // Overlong, surrogate, past U+10FFFF, truncated: every byte kept on its own.
  for (const bad of [
    [0xc0, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe2, 0x82],
  ]) {
    assert.is(decodeFileBytes(Uint8Array.from(bad)), String.fromCharCode(...bad.map((byte) => 0xdc00 + byte)), Buffer.from(bad).toString('hex'));
  }
});

test('members keep their exact text and file order; a repeated key sits at its first place with its last value', () => {
  const parsed = parseJsonMembers(' {"b" :1.0 ,"2":[1,{"x":"}]"}],\n"a":-0.0,"b":"again","\\u0063":{}}\n');
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  assert.equal(parsed.members, [
    { key: 'b', keyText: '"b"', valueText: '"again"' },
    { key: '2', keyText: '"2"', valueText: '[1,{"x":"}]"}]' },
    { key: 'a', keyText: '"a"', valueText: '-0.0' },
    { key: 'c', keyText: '"\\u0063"', valueText: '{}' },
  ]);
  assert.equal(parseJsonMembers('{}'), { ok: true, object: {}, members: [] });
  assert.not.ok(parseJsonMembers('{"a": 1,}').ok, 'still strict JSON');
});

test("a file in the original's layout is written back unchanged, and only our keys are reformatted in another", () => {
  const original =
    '{\n  "last_completed": "01",\n  "completed_modules": [\n    "00_setup"\n  ],\n  "stats": {\n    "n": 1.0\n  },\n  "unlocked_milestones": [],\n  "completed_milestones": []\n}';
  const parsed = parseProgress(original);
  assert.ok(parsed.ok);
  if (parsed.ok) assert.is(serializeProgress(parsed.progress), original);
  const compact = parseProgress('{"completed_modules":["00_setup"],"stats":{"n":1.0},"10":1e400}');
  assert.ok(compact.ok);
  if (compact.ok) {
    assert.is(
      serializeProgress({ ...compact.progress, completedModules: ['00_setup', 'caf\u00e9'] }),
      '{\n  "completed_modules": [\n    "00_setup",\n    "caf\\u00e9"\n  ],\n  "stats": {"n":1.0},\n  "10": 1e400,\n  "unlocked_milestones": [],\n  "completed_milestones": []\n}',
    );
  }
});

test.run();
