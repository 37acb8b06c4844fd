// tito's own `<workspace>/.tito/milestones.json` (`{"completed_milestones": ["01", ...], ...}`), read only.
import { parseJsonObject } from './json-object.js';

export type TitoMilestones = { ok: true; completed: string[] } | { ok: false; reason: string };

/** The `completed_milestones` entries that are strings; a file without that key completes nothing. */
export function parseTitoMilestones(text: string): TitoMilestones {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  const list = parsed.object.completed_milestones;
  if (list === undefined) return { ok: true, completed: [] };
  if (!Array.isArray(list)) return { ok: false, reason: '"completed_milestones" should be a list' };
  return { ok: true, completed: list.filter((item): item is string => typeof item === 'string') };
}
