// Parses a file's text that must hold one JSON object; a wrong shape is a reason, not a throw. Members keep their exact text.
import { notAnObjectReason, notJsonReason } from './messages.js';

export type ParsedObject = { ok: true; object: Record<string, unknown> } | { ok: false; reason: string };

export function parseJsonObject(text: string): ParsedObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: notJsonReason((error as Error).message) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: notAnObjectReason(Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value) };
  }
  return { ok: true, object: value as Record<string, unknown> };
}

/** One member of an object as written: its key, and the exact text of the key and of the value (numbers, escapes, layout). */
export interface RawMember {
  readonly key: string;
  readonly keyText: string;
  readonly valueText: string;
}

export type ParsedMembers = { ok: true; object: Record<string, unknown>; members: RawMember[] } | { ok: false; reason: string };

/**
 * The object's members in file order, each with its exact text, so what a program does not own can be written back byte
 * for byte: `12345678901234567890`, `1.0`, `-0.0`, `1e400`, integer-like keys in place, any escape as it was.
 * A key written twice is one member, at its first place with its last value (as JSON.parse and Python's json do).
 */
export function parseJsonMembers(text: string): ParsedMembers {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  // JSON.parse has validated the text: the scan below only needs to find where each member starts and ends.
  const byKey = new Map<string, RawMember>();
  let at = skipSpace(text, 0) + 1;
  at = skipSpace(text, at);
  while (text[at] === '"') {
    const keyEnd = skipString(text, at);
    const keyText = text.slice(at, keyEnd);
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1);
    const valueEnd = skipValue(text, valueStart);
    const key = JSON.parse(keyText) as string;
    byKey.set(key, { key, keyText: byKey.get(key)?.keyText ?? keyText, valueText: text.slice(valueStart, valueEnd) });
    at = skipSpace(text, valueEnd);
    if (text[at] === ',') at = skipSpace(text, at + 1);
  }
  return { ok: true, object: parsed.object, members: [...byKey.values()] };
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && (text[at] === ' ' || text[at] === '\n' || text[at] === '\r' || text[at] === '\t')) at++;
  return at;
}

/** From an opening quote to just past its closing quote. */
function skipString(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

/** Past one value: a string, a whole (nested) object or array, or a number/true/false/null. */
function skipValue(text: string, at: number): number {
  const first = text[at];
  if (first === '"') return skipString(text, at);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let i = at; i < text.length; i++) {
      const char = text[i];
      if (char === '"') i = skipString(text, i) - 1;
      else if (char === '{' || char === '[') depth++;
      else if ((char === '}' || char === ']') && --depth === 0) return i + 1;
    }
    return text.length;
  }
  let i = at;
  while (i < text.length && !',}] \n\r\t'.includes(text[i] as string)) i++;
  return i;
}
