// bench/lib.ts interleaved(): every side once a round, no side always in the same slot, samples paired by round.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { interleaved } from '../../bench/lib.js';

test('each round runs every side once, starting one side further on; samples stay paired by round', async () => {
  const order: string[] = [];
  let clock = 0;
  const side = (name: string) => async () => {
    order.push(name);
    return ++clock;
  };
  const samples = await interleaved(4, [side('A'), side('B'), side('C')]);
  assert.is(order.join(' '), 'A B C A B C B C A C A B A B C', 'a warm-up round, then rotated rounds');
  // The value each side measured in each round: its position in the run of 15 calls (3 of them the warm-up).
  assert.equal(samples, [
    [4, 9, 11, 13],
    [5, 7, 12, 14],
    [6, 8, 10, 15],
  ]);
  for (const values of samples) {
    const slots = new Set(values.slice(0, 3).map((value, round) => value - 3 - 3 * round));
    assert.is(slots.size, 3, 'every slot taken in turn');
  }
});

test('two sides alternate: A B, B A, A B', async () => {
  const order: string[] = [];
  await interleaved(3, [async () => order.push('A'), async () => order.push('B')]);
  assert.equal(order, ['A', 'B', 'A', 'B', 'B', 'A', 'A', 'B']);
});

test.run();
