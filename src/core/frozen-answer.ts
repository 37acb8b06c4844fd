// Answers that never change once made (memoized per version of the progress file): frozen all the way down and marked,
// so the connection may serialize each one once instead of once per request.
const marked = new WeakSet<object>();

function freezeDeep(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  for (const key of Object.keys(value)) freezeDeep((value as Record<string, unknown>)[key]);
  Object.freeze(value);
}

/** Freezes `answer` and everything in it, and marks it as one that serializes the same way every time. */
export function frozenAnswer<T extends object>(answer: T): T {
  freezeDeep(answer);
  marked.add(answer);
  return answer;
}

/** True for an answer made by frozenAnswer: plain data, frozen, so its JSON never changes. */
export const isFrozenAnswer = (value: unknown): value is object => typeof value === 'object' && value !== null && marked.has(value);
