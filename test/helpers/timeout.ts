// Bounds a test's wait: a promise that does not settle in time fails the test with what it waited for.
import { scaled } from './time.js';

/** `ms` is scaled by TEST_TIME_SCALE (helpers/time.ts). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what = 'a promise'): Promise<T> {
  const limit = scaled(ms);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${limit} ms waiting for ${what}`)), limit);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
