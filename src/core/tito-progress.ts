// tito's own `<workspace>/progress.json` (`{"completed_modules": ["01", "02"], ...}`), read as module numbers.
import { parseJsonObject } from './json-object.js';

export type TitoProgress = { ok: true; numbers: string[] } | { ok: false; reason: string };

/** The `completed_modules` entries that are strings; a file without that key completes nothing. */
export function parseTitoProgress(text: string): TitoProgress {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  const list = parsed.object.completed_modules;
  if (list === undefined) return { ok: true, numbers: [] };
  if (!Array.isArray(list)) return { ok: false, reason: '"completed_modules" should be a list' };
  return { ok: true, numbers: list.filter((item): item is string => typeof item === 'string') };
}

/** The entries of `after` that `before` did not list: only a change is a completion, not what was there at start. */
export function newlyListed(before: readonly string[], after: readonly string[]): string[] {
  const seen = new Set(before);
  return after.filter((entry) => !seen.has(entry));
}

/** The entries of `before` that `after` no longer lists: tito's `module reset` removed them. */
export function noLongerListed(before: readonly string[], after: readonly string[]): string[] {
  const kept = new Set(after);
  return before.filter((entry) => !kept.has(entry));
}
