// Module-name and milestone-id shapes, shared by the wire schemas and the catalog schema.
import { z } from 'zod';

/** Canonical module name: `NN_name` (docs/protocol.md §4). */
export const CANONICAL_MODULE = /^\d{2}_[a-z][a-z0-9_]{0,63}$/;
/** A bare module number (`1`, `01`), resolved through the catalog's module list. */
export const BARE_MODULE_NUMBER = /^\d{1,2}$/;

export const MODULE_FORM = 'a module name like "01_tensor" (two digits, an underscore, a lowercase name) or a module number like "1"';

/** A canonical module name, as catalogs and the progress file hold it. */
export const ModuleName = z.string().regex(CANONICAL_MODULE, {
  error: (issue) => `expected a module name like "01_tensor" (two digits, an underscore, a lowercase name of at most 64 characters), received ${JSON.stringify(issue.input)}`,
});

/** What a client may send for a module: a canonical name or a bare number. */
export const ModuleRef = z
  .string({ error: (issue) => `expected ${MODULE_FORM}, received ${issue.input === undefined ? 'nothing' : typeof issue.input}` })
  .max(80, { error: `expected ${MODULE_FORM}; this value is too long` })
  .refine((value) => CANONICAL_MODULE.test(value) || BARE_MODULE_NUMBER.test(value), {
    error: (issue) => `expected ${MODULE_FORM}, received ${JSON.stringify(String(issue.input).slice(0, 80))}`,
  });

/** Milestone ids: short, printable, no path separators (they end up in commands and file names). */
export const MilestoneId = z
  .string({ error: (issue) => `expected a milestone id (a string), received ${issue.input === undefined ? 'nothing' : typeof issue.input}` })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
    error: (issue) => `expected a milestone id like "perceptron" or "01", received ${JSON.stringify(String(issue.input).slice(0, 80))}`,
  });
