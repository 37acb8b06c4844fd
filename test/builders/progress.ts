// Builders for core tests: Progress values, catalog milestones and validated catalogs, with defaults for everything not under test.
import type { CatalogMilestone, CatalogModule } from '../../protocol/index.js';
import type { ActiveCatalog } from '../../src/core/catalog.js';
import { checkCatalog } from '../../src/core/catalog-check.js';
import type { Progress } from '../../src/core/progress.js';

export interface ProgressParts {
  readonly modules?: readonly string[];
  readonly unlocked?: readonly string[];
  readonly completed?: readonly string[];
  /** Keys of the file object besides the three lists (unknown keys that must survive). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A Progress as if parsed from a file holding exactly these lists (and `extra` keys first). */
export function progress(parts: ProgressParts = {}): Progress {
  const completedModules = [...(parts.modules ?? [])];
  const unlockedMilestones = [...(parts.unlocked ?? [])];
  const completedMilestones = [...(parts.completed ?? [])];
  return {
    completedModules,
    unlockedMilestones,
    completedMilestones,
    members: [
      ...Object.entries(parts.extra ?? {}).map(([key, value]) => ({ key, keyText: JSON.stringify(key), valueText: JSON.stringify(value) })),
      ...(['completed_modules', 'unlocked_milestones', 'completed_milestones'] as const).map((key) => ({ key, keyText: JSON.stringify(key), valueText: '[]' })),
    ],
  };
}

/** The three lists of a Progress, as the file names them: what tests compare. */
export function lists(value: Progress): { completed_modules: string[]; unlocked_milestones: string[]; completed_milestones: string[] } {
  return {
    completed_modules: [...value.completedModules],
    unlocked_milestones: [...value.unlockedMilestones],
    completed_milestones: [...value.completedMilestones],
  };
}

/** A catalog milestone; `requires` is the only field most rules care about. */
export function milestone(id: string, requires: readonly string[], overrides: Partial<CatalogMilestone> = {}): CatalogMilestone {
  return {
    id,
    name: `Milestone ${id}`,
    description: `What ${id} shows`,
    unlockMessage: `You can now run ${id}!`,
    requires: [...requires],
    verify: { pytest: `tests/test_milestones.py::test_${id}` },
    ...overrides,
  };
}

export interface RawCatalogParts {
  readonly name?: string;
  readonly modules?: readonly (string | CatalogModule)[];
  readonly milestones: readonly unknown[];
  readonly honestReturns?: boolean;
}

/** A catalog as a file would hold it (unvalidated), for validation tests. */
export function rawCatalog(parts: RawCatalogParts): Record<string, unknown> {
  return {
    name: parts.name ?? 'test',
    ...(parts.modules ? { modules: parts.modules.map((module) => (typeof module === 'string' ? { id: module } : module)) } : {}),
    ...(parts.honestReturns === undefined ? {} : { honestReturns: parts.honestReturns }),
    milestones: [...parts.milestones],
  };
}

/** A validated catalog; throws with the problems when the parts are not a valid catalog (a broken test, not a finding). */
export function catalog(milestones: readonly CatalogMilestone[], options: { modules?: readonly (string | CatalogModule)[]; name?: string } = {}): ActiveCatalog {
  const name = options.name ?? 'test';
  const check = checkCatalog(rawCatalog({ name, milestones, ...(options.modules ? { modules: options.modules } : {}) }), name);
  if (!check.ok) throw new Error(`test catalog "${name}" is invalid: ${check.problems.join('; ')}`);
  return check.catalog;
}

/** A small chain a → b → c, plus a milestone d that needs a module nothing else needs: enough for order and multi-unlock tests. */
export function chainCatalog(): ActiveCatalog {
  return catalog([milestone('a', ['01_one']), milestone('b', ['01_one', '02_two']), milestone('c', ['01_one', '02_two', '03_three']), milestone('d', ['02_two', '04_four'])], {
    modules: ['01_one', '02_two', '03_three', '04_four'],
  });
}
