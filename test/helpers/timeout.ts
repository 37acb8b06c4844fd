// Bounds a test's wait: a promise that does not settle in time fails the test with what it waited for.
export async function withTimeout<T>(promise: Promise<T>, ms: number, what = 'a promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
