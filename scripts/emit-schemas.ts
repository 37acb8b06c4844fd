// Writes the wire contract and the catalog format as JSON Schema files, for clients in other languages.
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { Catalog, notifications, requests } from '../protocol/index.js';

export async function emitSchemas(folder: URL): Promise<void> {
  const write = (name: string, schema: z.ZodType, io: 'input' | 'output') =>
    writeFile(new URL(`${name}.schema.json`, folder), `${JSON.stringify(z.toJSONSchema(schema, { io, unrepresentable: 'any' }), null, 2)}\n`);
  await write('catalog', Catalog, 'input');
  for (const definition of Object.values(requests)) {
    const base = definition.method.replaceAll('/', '.');
    await write(`${base}.params`, definition.params, 'input');
    await write(`${base}.result`, definition.result, 'output');
  }
  for (const definition of Object.values(notifications)) {
    await write(definition.method.replaceAll('/', '.').replace('$', ''), definition.params, 'input');
  }
}
