// Params at the boundary: the generated validators answer at once; when one refuses, zod, loaded then, decides and words it.
import { InvalidParamsError, paramsValidators } from '../../protocol/plain.js';
import { invalidParamsText } from './messages.js';

/** Checked params: valid now, or decided later by zod (its output, or an InvalidParamsError in its words). */
export type CheckedParams = { readonly valid: true; readonly params: unknown } | { readonly valid: false; readonly decided: Promise<unknown> };

/**
 * Validates the raw params of a validated method; a missing `params` is `{}`. A generated validator is never looser
 * than zod (test/protocol/validators.test.ts holds them together), so what it accepts is what zod would hand over; what
 * it refuses goes to zod, which keeps every error message as it was and may still accept.
 */
export function checkParams(method: string, raw: unknown): CheckedParams {
  const params = raw === undefined || raw === null ? {} : raw;
  const validator = paramsValidators.get(method);
  if (validator?.check(params)) return { valid: true, params: validator.empty ? {} : params };
  return { valid: false, decided: zodParams(method, params) };
}

/** The params once checked, where nothing waits on the order of messages (one-shot commands). */
export async function parseParams(method: string, raw: unknown): Promise<unknown> {
  const checked = checkParams(method, raw);
  return checked.valid ? checked.params : await checked.decided;
}

async function zodParams(method: string, params: unknown): Promise<unknown> {
  const { decideParams } = await import('../../protocol/index.js');
  const decision = decideParams(method, params);
  if (decision.ok) return decision.params;
  throw new InvalidParamsError(invalidParamsText(method, decision.problems), decision.issues);
}
