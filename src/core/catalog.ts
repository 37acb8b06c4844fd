// The active catalog and the lookups the rules need; the built-in catalogs by name (catalog-check.ts validates files).
import type { Catalog, CatalogMilestone, CatalogModule } from '../../protocol/plain.js';
import seedCatalog from './catalogs/seed.json' with { type: 'json' };
import tinytorchCatalog from './catalogs/tinytorch.json' with { type: 'json' };

export const BUILTIN_CATALOGS = { seed: seedCatalog as unknown, tinytorch: tinytorchCatalog as unknown } as const;
export type BuiltinCatalogName = keyof typeof BUILTIN_CATALOGS;

export function isBuiltinCatalogName(name: string): name is BuiltinCatalogName {
  return Object.hasOwn(BUILTIN_CATALOGS, name);
}

const BUILTIN_PREFIX = 'builtin:';

/** How a person names a catalog (the `--catalog` value: `seed`, or the file's path), derived from its `source`. */
export function catalogLabel(catalog: { readonly source: string }): string {
  return catalog.source.startsWith(BUILTIN_PREFIX) ? catalog.source.slice(BUILTIN_PREFIX.length) : catalog.source;
}

/** A validated catalog with its origin and lookups. */
export interface ActiveCatalog {
  /** The catalog's own `name` field, as written in it. */
  readonly name: string;
  /** Its identity: `builtin:seed`, `builtin:tinytorch` or the file's absolute path. */
  readonly source: string;
  readonly honestReturns: boolean;
  readonly milestones: readonly CatalogMilestone[];
  /** The catalog's modules; when a file lists none, the modules its milestones require, in first-seen order, without exports. */
  readonly modules: readonly CatalogModule[];
  readonly moduleIds: readonly string[];
  milestone(id: string): CatalogMilestone | undefined;
}

export type CatalogCheck = { ok: true; catalog: ActiveCatalog } | { ok: false; problems: string[] };

/** A catalog with its lookups; `catalog` has been validated. */
export function activate(catalog: Catalog, source: string): ActiveCatalog {
  const modules: CatalogModule[] = catalog.modules ?? [...new Set(catalog.milestones.flatMap((milestone) => milestone.requires))].map((id) => ({ id }));
  const moduleIds = modules.map((module) => module.id);
  const byId = new Map(catalog.milestones.map((milestone) => [milestone.id, milestone]));
  return {
    name: catalog.name,
    source,
    honestReturns: catalog.honestReturns ?? false,
    milestones: catalog.milestones,
    modules,
    moduleIds,
    milestone: (id) => byId.get(id),
  };
}

const activeBuiltins = new Map<BuiltinCatalogName, ActiveCatalog>();

/**
 * A built-in catalog. They are validated when the package is built (scripts/build.mjs) and by the tests, not at each
 * start: zod's parse of them is start-up time that every sidecar would pay for the same verdict.
 */
export function builtinCatalog(name: BuiltinCatalogName): ActiveCatalog {
  let active = activeBuiltins.get(name);
  if (!active) {
    active = activate(BUILTIN_CATALOGS[name] as Catalog, `${BUILTIN_PREFIX}${name}`);
    activeBuiltins.set(name, active);
  }
  return active;
}
