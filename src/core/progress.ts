// The progress file's content as a value: parse, fill in, serialize, byte-compatible with the original.
import { parseJsonMembers, type RawMember } from './json-object.js';

export interface Progress {
  readonly completedModules: readonly string[];
  readonly unlockedMilestones: readonly string[];
  readonly completedMilestones: readonly string[];
  /**
   * The file's members as read, in order, each with its exact text: keys we do not own (and their order) survive a
   * write byte for byte. The three lists above are the truth for their own keys.
   */
  readonly members: readonly RawMember[];
}

export type { RawMember };

export const EMPTY_PROGRESS: Progress = { completedModules: [], unlockedMilestones: [], completedMilestones: [], members: [] };

const FILE_KEYS = [
  ['completed_modules', 'completedModules'],
  ['unlocked_milestones', 'unlockedMilestones'],
  ['completed_milestones', 'completedMilestones'],
] as const;

export type ParsedProgress = { ok: true; progress: Progress } | { ok: false; reason: string };

/** Reads the file's text. A missing key is an empty list; a wrong shape is a reason, not a throw. */
export function parseProgress(text: string): ParsedProgress {
  const parsed = parseJsonMembers(text);
  if (!parsed.ok) return parsed;
  const lists: Record<string, string[]> = {};
  for (const [fileKey, field] of FILE_KEYS) {
    const list = parsed.object[fileKey];
    if (list === undefined) {
      lists[field] = [];
    } else if (Array.isArray(list) && list.every((item) => typeof item === 'string')) {
      lists[field] = list as string[];
    } else {
      return { ok: false, reason: `"${fileKey}" should be a list of strings` };
    }
  }
  return {
    ok: true,
    progress: {
      completedModules: lists.completedModules ?? [],
      unlockedMilestones: lists.unlockedMilestones ?? [],
      completedMilestones: lists.completedMilestones ?? [],
      members: parsed.members,
    },
  };
}

/** A string as Python's json.dumps writes it: ASCII only, with \uXXXX escapes (surrogate pairs for emoji). */
function pythonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A list of strings as json.dump(indent=2) writes it one level in. */
function pythonList(items: readonly string[]): string {
  return items.length === 0 ? '[]' : `[\n${items.map((item) => `    ${pythonString(item)}`).join(',\n')}\n  ]`;
}

/**
 * Writes the original's format, json.dump(indent=2) with no trailing newline, for the keys we own; every other member is
 * written exactly as it was read, in its place. Missing keys are added at the end, in the original's order.
 */
export function serializeProgress(progress: Progress): string {
  const lines = new Map<string, string>();
  const owned = new Map<string, readonly string[]>(FILE_KEYS.map(([fileKey, field]) => [fileKey, progress[field]]));
  for (const member of progress.members) {
    const list = owned.get(member.key);
    lines.set(member.key, list ? `  ${pythonString(member.key)}: ${pythonList(list)}` : `  ${member.keyText}: ${member.valueText}`);
  }
  for (const [fileKey, list] of owned) if (!lines.has(fileKey)) lines.set(fileKey, `  ${pythonString(fileKey)}: ${pythonList(list)}`);
  return `{\n${[...lines.values()].join(',\n')}\n}`;
}

export function sameProgress(a: Progress, b: Progress): boolean {
  return serializeProgress(a) === serializeProgress(b);
}
