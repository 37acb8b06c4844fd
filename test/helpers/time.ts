// The one place where the tests' time bounds are scaled: TEST_TIME_SCALE (default 3) stretches every deadline.
// Tests wait on events; a deadline only says when to give up (a hang is a failure), so stretching it costs a passing
// run nothing and keeps a loaded machine from failing a correct build. Set TEST_TIME_SCALE=1 to see tight figures.

const parsed = Number(process.env.TEST_TIME_SCALE);
export const TIME_SCALE = Number.isFinite(parsed) && parsed > 0 ? parsed : 3;

/** A deadline or an upper bound, in milliseconds, scaled for this machine. */
export function scaled(ms: number): number {
  return Math.round(ms * TIME_SCALE);
}
