// The framed reader fed byte by byte and in big writes: it resynchronises at the next Content-Length whatever came before.
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FramedMessageReader, type ReaderProblem } from '../../src/adapters/framed-reader.js';

const frame = (message: unknown) => {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
};
const request = (id: string | number) => ({ jsonrpc: '2.0', id, method: 'milestones/progress', params: {} });

/** A reader over a stream; `feed` writes chunks one by one, `end` ends the input. */
function reader(maxMessageBytes?: number, pending = new Set<string>()) {
  const input = new PassThrough();
  const messages: Array<{ id?: unknown; method?: string }> = [];
  const problems: ReaderProblem[] = [];
  const requests: Array<string | number> = [];
  let ended = false;
  const framed = new FramedMessageReader(input, {
    maxMessageBytes,
    onProblem: (problem) => problems.push(problem),
    onRequest: (id) => {
      requests.push(id);
      if (pending.has(String(id))) return false;
      pending.add(String(id));
      return true;
    },
    onEnd: () => {
      ended = true;
    },
  });
  framed.listen((message) => messages.push(message as { id?: unknown }));
  return {
    messages,
    problems,
    requests,
    ids: () => messages.map((message) => message.id),
    answered: () => problems.filter(({ problem }) => problem.kind !== 'skipped-bytes').map(({ problem }) => problem.kind),
    feed: (...chunks: Array<Buffer | string>) => {
      for (const chunk of chunks) framed.onData(Buffer.from(chunk));
    },
    end: () => {
      framed.onEnd();
      return ended;
    },
  };
}

test('more than 32 KiB of junk in one write does not take the next request with it', () => {
  for (const kilobytes of [1, 33, 40, 60, 1024]) {
    const r = reader();
    r.feed(Buffer.concat([Buffer.alloc(kilobytes * 1024, 'j'), frame(request('after'))]));
    assert.equal(r.ids(), ['after'], `${kilobytes} KiB of junk`);
    assert.equal(r.answered(), []);
  }
});

test('junk that ends like a header, or holds half of one, still gives way to the next header', () => {
  for (const junk of [
    'Content-Le',
    'Content-Length: 5',
    'Content-Length: 5\r\nX-Note: x',
    'content-length: 12 Content-Length:',
    'Content-Length: 50\r\n\r\n{"a',
    'Content-Length: 3\r\n\r\n{',
  ]) {
    const r = reader();
    r.feed(junk, frame(request('next')));
    assert.equal(r.ids(), ['next'], JSON.stringify(junk));
  }
});

test('a header block over 8 KiB, arriving in pieces, is read through; the messages around it arrive', () => {
  const body = JSON.stringify(request('padded'));
  const r = reader();
  r.feed(
    frame(request('before')),
    `Content-Length: ${body.length}\r\n`,
    `X-Padding: ${'p'.repeat(6000)}`,
    'p'.repeat(6000),
    '\r\n',
    `X-More: ${'m'.repeat(20_000)}\r\n\r\n`,
    body,
    frame(request('after')),
  );
  assert.equal(r.ids(), ['before', 'padded', 'after']);
  assert.equal(r.answered(), []);
});

test('a Content-Length longer than the body is answered -32700 and the request behind it is read', () => {
  for (const declared of [20, 200, 5_000, 8 * 1024 * 1024]) {
    const r = reader();
    r.feed(`Content-Length: ${declared}\r\n\r\n{"jsonrpc":"2.0"}`, frame(request('behind')));
    assert.equal(r.ids(), ['behind'], `declared ${declared}`);
    assert.equal(r.answered(), ['interrupted']);
  }
  // Cut inside a string: the next header's line break cannot be in a JSON string.
  const r = reader();
  r.feed('Content-Length: 400\r\n\r\n{"jsonrpc":"2.0","method":"ab\\', frame(request('behind')));
  assert.equal(r.ids(), ['behind']);
});

test('a body that swallowed the start of the next header gives it back', () => {
  const next = frame(request('next'));
  for (const cut of [1, 5, 17, 20]) {
    const body = Buffer.concat([Buffer.from('{" : x'), next.subarray(0, cut)]);
    const r = reader();
    r.feed(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\n\n`), body]), next.subarray(cut));
    assert.equal(r.ids(), ['next'], `${cut} bytes swallowed`);
    assert.is(r.answered().length, 1);
  }
});

test('a length beyond the limit is answered once, and a message behind a short body is still read', () => {
  const r = reader();
  r.feed('Content-Length: 99999999999\r\n\r\n{}', frame(request('behind')));
  assert.equal(r.answered(), ['oversized']);
  assert.equal(r.ids(), ['behind']);
});

test('an oversized body that is real JSON is skipped whole, even with header-like text in its strings', () => {
  const big = frame({ jsonrpc: '2.0', id: 'big', method: 'x', params: { text: `Content-Length: 5\r\n\r\n{}${'x'.repeat(2048)}`.repeat(8) } });
  const r = reader(4096);
  for (let at = 0; at < big.length; at += 1000) r.feed(big.subarray(at, at + 1000));
  r.feed(frame(request('behind')));
  assert.equal(r.answered(), ['oversized']);
  assert.equal(r.ids(), ['behind']);
});

test('a message split at every byte arrives whole; LF-only headers and extra headers are accepted', () => {
  const r = reader();
  const bytes = Buffer.concat([frame(request(1)), Buffer.from(`Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n`), frame(request(2))]);
  for (const byte of bytes) r.feed(Buffer.from([byte]));
  const body = JSON.stringify(request(3));
  r.feed(`Content-Length: ${body.length}\nContent-Type: application/json\n\n${body}`);
  assert.equal(r.ids(), [1, 2, 3]);
  assert.equal(r.requests, [1, 2, 3]);
});

test('bad bodies get their own answers: not UTF-8, not JSON, a batch, a scalar, a bad id, no method, a bad length', () => {
  const r = reader();
  const raw = (body: Buffer | string) => Buffer.concat([Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`), Buffer.from(body)]);
  r.feed(raw(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])), raw('{oops}'), raw('[]'), raw('5'), raw('{"id":true,"method":"x"}'), raw('{"id":7}'));
  r.feed('Content-Length: -3\r\n\r\n', 'Content-Length: 0\r\n\r\n', frame(request('last')));
  assert.equal(r.answered(), ['not-utf8', 'not-json', 'batch', 'not-an-object', 'bad-id', 'no-method', 'bad-length', 'not-json']);
  assert.equal(r.problems.find(({ problem }) => problem.kind === 'no-method')?.id, 7);
  assert.equal(r.ids(), ['last']);
});

test('a request whose id is still pending (5 or "5") is refused with that id, not passed on to replace it', () => {
  const r = reader();
  r.feed(frame(request(5)), frame(request('5')), frame(request(6)));
  assert.equal(r.ids(), [5, 6]);
  assert.equal(
    r.problems.map(({ problem, id }) => [problem.kind, id]),
    [['duplicate-id', '5']],
  );
});

test('end of input inside a message is answered before the end is passed on', () => {
  const r = reader();
  r.feed('Content-Length: 50\r\n\r\n{"jsonrpc"');
  assert.equal(r.answered(), []);
  assert.ok(r.end());
  assert.equal(r.answered(), ['input-ended']);
  const header = reader();
  header.feed('Content-Length: 50\r\n');
  header.end();
  assert.equal(header.answered(), ['input-ended']);
  const junk = reader();
  junk.feed('just junk');
  junk.end();
  assert.equal(junk.answered(), []);
  assert.equal(
    junk.problems.map(({ problem }) => problem),
    [{ kind: 'skipped-bytes', bytes: 9 }],
  );
});

test('ten thousand messages in one write all arrive', () => {
  const r = reader();
  const many = Buffer.concat(Array.from({ length: 10_000 }, (_, index) => frame(request(index))));
  r.feed(many);
  assert.is(r.messages.length, 10_000);
});

test.run();
