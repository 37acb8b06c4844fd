// The progress file's content as a value: parse, fill in, serialize, byte-compatible with the original.
import { parseJsonObject } from './json-object.js';

export interface Progress {
  readonly completedModules: readonly string[];
  readonly unlockedMilestones: readonly string[];
  readonly completedMilestones: readonly string[];
  /** The file's object as read, so unknown keys and their order survive a write. */
  readonly fileObject: Readonly<Record<string, unknown>>;
}

export const EMPTY_PROGRESS: Progress = { completedModules: [], unlockedMilestones: [], completedMilestones: [], fileObject: {} };

const FILE_KEYS = [
  ['completed_modules', 'completedModules'],
  ['unlocked_milestones', 'unlockedMilestones'],
  ['completed_milestones', 'completedMilestones'],
] as const;

export type ParsedProgress = { ok: true; progress: Progress } | { ok: false; reason: string };

/** Reads the file's text. A missing key is an empty list; a wrong shape is a reason, not a throw. */
export function parseProgress(text: string): ParsedProgress {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  const fileObject = parsed.object;
  const lists: Record<string, string[]> = {};
  for (const [fileKey, field] of FILE_KEYS) {
    const list = fileObject[fileKey];
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
      fileObject,
    },
  };
}

/** Writes the original's format: json.dump(indent=2), ASCII-escaped, no trailing newline; other keys kept in place. */
export function serializeProgress(progress: Progress): string {
  const fileObject: Record<string, unknown> = { ...progress.fileObject };
  for (const [fileKey, field] of FILE_KEYS) fileObject[fileKey] = progress[field];
  // Python's json.dump escapes non-ASCII by default; do the same so both writers produce the same bytes.
  return JSON.stringify(fileObject, null, 2).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function sameProgress(a: Progress, b: Progress): boolean {
  return serializeProgress(a) === serializeProgress(b);
}
