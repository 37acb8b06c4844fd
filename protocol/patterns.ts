// The shapes of module names and milestone ids as regular expressions, without zod (names.ts builds the schemas on them).

/** Canonical module name: `NN_name` (docs/protocol.md §4). */
export const CANONICAL_MODULE = /^\d{2}_[a-z][a-z0-9_]{0,63}$/;
/** A bare module number (`1`, `01`), resolved through the catalog's module list. */
export const BARE_MODULE_NUMBER = /^\d{1,2}$/;
/** What a client may send for a module: either of the two above. */
export const MODULE_REF = new RegExp(`^(?:${CANONICAL_MODULE.source.slice(1, -1)}|${BARE_MODULE_NUMBER.source.slice(1, -1)})$`);
/** Milestone ids: short, printable, no path separators (they end up in commands and file names). */
export const MILESTONE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const MODULE_FORM = 'a module name like "01_tensor" (two digits, an underscore, a lowercase name) or a module number like "1"';
