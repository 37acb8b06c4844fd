// The framed writer: one frame per message, byte for byte JSON.stringify, a frozen answer serialized once.
import { PassThrough, Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from 'vscode-jsonrpc/node';
import { FramedMessageWriter } from '../../src/adapters/framed-writer.js';
import { frozenAnswer } from '../../src/core/frozen-answer.js';

const expected = (message: unknown) => {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
};

/** A writer over a stream, and every chunk it wrote. */
function writer() {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { framed: new FramedMessageWriter(output), chunks };
}

test('a frozen answer goes out as JSON.stringify would write it, ids and characters beyond ASCII included', async () => {
  const answer = frozenAnswer({ catalog: 'seed', milestones: [{ id: 'xor', missing: ['03_nn'] }], text: '🎯 Progress — “quoted” \n\t\u2028 done' });
  const { framed, chunks } = writer();
  const messages = [
    { jsonrpc: '2.0', id: 1, result: answer },
    { jsonrpc: '2.0', id: 'two "quoted" \u0000', result: answer },
    { jsonrpc: '2.0', id: 3, result: answer },
  ];
  for (const message of messages) await framed.write(message as Message);
  assert.equal(chunks.length, 3, 'one write per message');
  for (const [index, message] of messages.entries()) assert.equal(chunks[index]!.toString('utf8'), expected(message).toString('utf8'));
});

test('anything else is JSON.stringify of the whole message: errors, notifications, answers not frozen, other keys', async () => {
  const answer = frozenAnswer({ value: 1 });
  const messages = [
    { jsonrpc: '2.0', id: 1, result: { value: 1 } },
    { jsonrpc: '2.0', id: 2, error: { code: -32600, message: 'bad' } },
    { jsonrpc: '2.0', method: 'window/logMessage', params: { type: 3, message: 'é' } },
    { jsonrpc: '2.0', id: 3, result: answer, extra: true },
    { id: 4, jsonrpc: '2.0', result: answer },
    { jsonrpc: '2.0', id: null, result: answer },
  ];
  const { framed, chunks } = writer();
  for (const message of messages) await framed.write(message as unknown as Message);
  for (const [index, message] of messages.entries()) assert.equal(chunks[index]!.toString('utf8'), expected(message).toString('utf8'));
});

test('a frozen answer cannot change under the JSON kept for it', () => {
  const answer = frozenAnswer({ milestones: [{ missing: ['03_nn'] }], next: { id: 'xor' } });
  assert.throws(() => {
    (answer.milestones[0]!.missing as string[]).push('04_training');
  });
  try {
    (answer.next as { id: string }).id = 'cnn';
  } catch {
    // strict mode throws; either way nothing changes
  }
  assert.is(answer.next.id, 'xor');
  assert.ok(Object.isFrozen(answer.milestones[0]));
});

/** A stream that gathers writes as a socket does (`writev`), and every system call it would make. */
function socketLike(failWith: Error | null = null) {
  const calls: Buffer[] = [];
  const record = (bytes: Buffer, done: (error?: Error | null) => void) => {
    calls.push(bytes);
    done(failWith);
  };
  const output = new Writable({
    writev: (chunks, done) => record(Buffer.concat(chunks.map(({ chunk }) => chunk as Buffer)), done),
    write: (chunk: Buffer, _encoding, done) => record(chunk, done),
  });
  return { framed: new FramedMessageWriter(output), calls, output };
}

test('messages written in one turn leave in one write, in order; each write still resolves', async () => {
  const { framed, calls } = socketLike();
  const notification = { jsonrpc: '2.0', method: 'milestones/unlocked', params: { id: 'perceptron', seq: 1 } };
  const answer = { jsonrpc: '2.0', id: 7, result: frozenAnswer({ newlyUnlocked: ['perceptron'] }) };
  // As a handler does: the notification now, the answer when its promise settles.
  const written = [framed.write(notification as Message), Promise.resolve().then(() => framed.write(answer as Message))];
  await Promise.all(written);
  assert.equal(
    calls.map((bytes) => bytes.toString('utf8')),
    [Buffer.concat([expected(notification), expected(answer)]).toString('utf8')],
  );
  // A later turn is a later write.
  await framed.write(notification as Message);
  assert.is(calls.length, 2);
});

test('a failed gathered write rejects every message in it and reports each', async () => {
  const { framed, output } = socketLike(Object.assign(new Error('broken pipe'), { code: 'EPIPE' }));
  output.on('error', () => {});
  const reported: unknown[] = [];
  framed.onError(([, message]) => reported.push(message));
  const results = await Promise.allSettled([framed.write({ jsonrpc: '2.0', method: 'a' } as Message), framed.write({ jsonrpc: '2.0', method: 'b' } as Message)]);
  assert.equal(
    results.map((result) => result.status),
    ['rejected', 'rejected'],
  );
  assert.ok(reported.length >= 2, 'each message reported');
});

test.run();
