// The types of validators.js, which scripts/validators.ts generates at build time from the zod schemas (not in git).

export interface ParamsValidator {
  /** Whether the params are valid. It may refuse what zod accepts, never the reverse: then zod decides. */
  readonly check: (params: unknown) => boolean;
  /** The params schema has no fields and zod's output is always `{}` (a request without parameters). */
  readonly empty: boolean;
}

/** By method: every params schema of index.ts's `validatedParams`. */
export declare const paramsValidators: ReadonlyMap<string, ParamsValidator>;
