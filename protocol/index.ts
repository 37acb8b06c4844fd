// The wire contract of tinytorch-milestones, whole: names, errors and the zod schemas (plain.ts is its zod-free part).
export * from './constants.js';
export * from './errors.js';
export * from './patterns.js';
export * from './names.js';
export * from './catalog.js';
export * from './methods.js';
export * from './lsp.js';
export * from './daemon.js';
import { z } from 'zod';
import { daemonRequests } from './daemon.js';
import { ExecuteCommandRequest, lspNotifications, lspRequests, WorkDoneProgressCancelNotification } from './lsp.js';
import { notifications, requests } from './methods.js';

/** Every request and notification definition, by method name. */
export const definitions: ReadonlyMap<string, { readonly method: string; readonly params: z.ZodType }> = new Map(
  [...Object.values(requests), ...Object.values(notifications), ...Object.values(lspRequests), ...Object.values(lspNotifications), ...Object.values(daemonRequests)].map(
    (definition) => [definition.method, definition],
  ),
);

/**
 * The params the sidecar validates, by method: every request it answers and the notification whose params it reads.
 * scripts/validators.ts generates a fast validator for each (plain.ts); zod decides whenever one refuses.
 */
export const validatedParams: ReadonlyMap<string, z.ZodType> = new Map(
  [...Object.values(requests), ExecuteCommandRequest, WorkDoneProgressCancelNotification, ...Object.values(daemonRequests)].map((definition) => [
    definition.method,
    definition.params,
  ]),
);

/** zod's verdict on the params of a validated method: its output, or its words (z.prettifyError) and its issues. */
export function decideParams(method: string, params: unknown): { ok: true; params: unknown } | { ok: false; problems: string; issues: readonly unknown[] } {
  const schema = validatedParams.get(method);
  if (!schema) throw new Error(`no params schema for ${method}`);
  const parsed = schema.safeParse(params);
  return parsed.success ? { ok: true, params: parsed.data } : { ok: false, problems: z.prettifyError(parsed.error), issues: parsed.error.issues };
}
