// Loads the configured catalog: a built-in name or a JSON file, every problem reported in one error.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MilestoneError } from '../../protocol/plain.js';
import { catalogInvalidText, catalogNotJsonText, catalogUnreadableText } from '../core/messages.js';
import { builtinCatalog, isBuiltinCatalogName, type ActiveCatalog, type CatalogCheck } from '../core/catalog.js';

export async function checkCatalogFile(file: string): Promise<CatalogCheck & { source: string }> {
  const source = resolve(file);
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, source, problems: [catalogUnreadableText(code, String(error))] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, source, problems: [catalogNotJsonText((error as Error).message)] };
  }
  // zod loads here, for a user's catalog only.
  const { checkCatalog } = await import('../core/catalog-check.js');
  return { ...checkCatalog(value, source), source };
}

export async function loadCatalog(spec: string): Promise<ActiveCatalog> {
  if (isBuiltinCatalogName(spec)) return builtinCatalog(spec);
  const check = await checkCatalogFile(spec);
  if (check.ok) return check.catalog;
  throw new MilestoneError('catalog-invalid', catalogInvalidText(check.source, check.problems), { source: check.source, problems: check.problems });
}
