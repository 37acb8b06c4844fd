// Module-name and milestone-id schemas, shared by the wire schemas and the catalog schema (patterns.ts has their shapes).
import { z } from 'zod';
import { CANONICAL_MODULE, MILESTONE_ID, MODULE_FORM, MODULE_REF } from './patterns.js';

/** A canonical module name, as catalogs and the progress file hold it. */
export const ModuleName = z.string().regex(CANONICAL_MODULE, {
  error: (issue) => `expected a module name like "01_tensor" (two digits, an underscore, a lowercase name of at most 64 characters), received ${JSON.stringify(issue.input)}`,
});

/** What a client may send for a module: a canonical name or a bare number (a regex, so that JSON Schema carries it). */
export const ModuleRef = z
  .string({ error: (issue) => `expected ${MODULE_FORM}, received ${issue.input === undefined ? 'nothing' : typeof issue.input}` })
  .max(80, { error: `expected ${MODULE_FORM}; this value is too long` })
  .regex(MODULE_REF, {
    error: (issue) => `expected ${MODULE_FORM}, received ${JSON.stringify(String(issue.input).slice(0, 80))}`,
  });

/** Milestone ids: short, printable, no path separators (they end up in commands and file names). */
export const MilestoneId = z
  .string({ error: (issue) => `expected a milestone id (a string), received ${issue.input === undefined ? 'nothing' : typeof issue.input}` })
  .regex(MILESTONE_ID, {
    error: (issue) => `expected a milestone id like "perceptron" or "01", received ${JSON.stringify(String(issue.input).slice(0, 80))}`,
  });
