// The CLI's failures and their exit codes, in one place: expected ones are one sentence, anything else is a bug.
import { CancelledError, InvalidParamsError, MilestoneError, SettingError } from '../../protocol/plain.js';
import { CLI_USAGE } from '../core/messages.js';

/** Bad usage of the command line (exit status 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Expected failures and their exit codes: said in one sentence. Anything else is a bug, shown with its stack (70). */
const EXPECTED_FAILURES: ReadonlyArray<readonly [(error: unknown) => boolean, number]> = [
  [(error) => error instanceof MilestoneError && error.kind === 'catalog-invalid', 2], // a bad setting, like a bad flag
  [(error) => error instanceof MilestoneError, 1],
  [(error) => error instanceof UsageError || error instanceof InvalidParamsError || error instanceof SettingError, 2],
  [(error) => error instanceof CancelledError, 130],
];

/** What the CLI prints on stderr for a failure, and its exit status. */
export function failure(error: unknown): { text: string; exitCode: number } {
  const expected = EXPECTED_FAILURES.find(([matches]) => matches(error));
  if (expected) return { text: (error as Error).message, exitCode: expected[1] };
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof Error && code?.startsWith('ERR_PARSE_ARGS')) {
    return { text: code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `${error.message}\n\n${CLI_USAGE}` : error.message, exitCode: 2 };
  }
  return { text: error instanceof Error ? (error.stack ?? error.message) : String(error), exitCode: 70 };
}
