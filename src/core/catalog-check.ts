// Catalog validation by zod: for a user's catalog file (the built-in ones are checked when the package is built), so
// zod loads only when one is used (src/adapters/catalog-loader.ts imports this module on demand).
import { Catalog, catalogProblems } from '../../protocol/index.js';
import { activate, type CatalogCheck } from './catalog.js';

/** Validates a parsed catalog; every problem is one line naming where it is. */
export function checkCatalog(value: unknown, source: string): CatalogCheck {
  const parsed = Catalog.safeParse(value);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`)),
    ...catalogProblems(value),
  ];
  if (!parsed.success || problems.length) return { ok: false, problems };
  return { ok: true, catalog: activate(parsed.data, source) };
}
