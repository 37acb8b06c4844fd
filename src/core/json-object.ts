// Parses a file's text that must hold one JSON object; a wrong shape is a reason, not a throw.

export type ParsedObject = { ok: true; object: Record<string, unknown> } | { ok: false; reason: string };

export function parseJsonObject(text: string): ParsedObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON (${(error as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: `expected a JSON object, found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` };
  }
  return { ok: true, object: value as Record<string, unknown> };
}
