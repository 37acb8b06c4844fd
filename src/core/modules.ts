// Module references: canonical names pass, bare numbers resolve through the catalog's module list.
import { BARE_MODULE_NUMBER, CANONICAL_MODULE } from '../../protocol/index.js';
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
  return numbers
    .map((number) => resolveModule(catalog, number))
    .flatMap((resolution) => (resolution.ok ? [resolution.module] : []));
}
