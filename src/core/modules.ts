// Module references: canonical names pass, bare numbers resolve through the catalog's module list.
import { BARE_MODULE_NUMBER, CANONICAL_MODULE } from '../../protocol/plain.js';
import { catalogLabel, type ActiveCatalog } from './catalog.js';
import { moduleNumberAmbiguousText, moduleNumberUnknownText, moduleRefInvalidText } from './messages.js';

export type ModuleResolution = { ok: true; module: string } | { ok: false; message: string };

export function resolveModule(catalog: ActiveCatalog, ref: string): ModuleResolution {
  if (CANONICAL_MODULE.test(ref)) return { ok: true, module: ref };
  if (!BARE_MODULE_NUMBER.test(ref)) {
    return { ok: false, message: moduleRefInvalidText(ref) };
  }
  const prefix = `${ref.padStart(2, '0')}_`;
  const matches = catalog.moduleIds.filter((id) => id.startsWith(prefix));
  if (matches.length === 1 && matches[0]) return { ok: true, module: matches[0] };
  if (matches.length === 0) {
    return { ok: false, message: moduleNumberUnknownText(ref, catalogLabel(catalog), catalog.moduleIds) };
  }
  return { ok: false, message: moduleNumberAmbiguousText(ref, catalogLabel(catalog), matches) };
}

/** Module ids by number, for tito's own progress file (`"completed_modules": ["01", "02"]`). */
export function modulesForNumbers(catalog: ActiveCatalog, numbers: readonly string[]): string[] {
  return numbers.map((number) => resolveModule(catalog, number)).flatMap((resolution) => (resolution.ok ? [resolution.module] : []));
}

/** Levenshtein distance, for suggesting the nearest module name. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The catalog module a name outside the catalog most likely means: the same name under another number
 * (`08_spatial` → `09_spatial`), else the closest spelling, else the module with that number; null when none is near.
 */
export function nearestModule(catalog: ActiveCatalog, module: string): string | null {
  if (catalog.moduleIds.includes(module)) return null;
  const name = module.slice(3);
  const scored = catalog.moduleIds.map((id) => ({ id, score: distance(name, id.slice(3)) }));
  const best = scored.reduce<{ id: string; score: number } | null>((top, candidate) => (top === null || candidate.score < top.score ? candidate : top), null);
  if (best && best.score <= Math.max(1, Math.floor(name.length / 3))) return best.id;
  return catalog.moduleIds.find((id) => id.startsWith(module.slice(0, 3))) ?? null;
}
