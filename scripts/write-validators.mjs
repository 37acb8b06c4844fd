// Writes protocol/validators.js (scripts/validators.ts) before the bundle is built: the sidecar imports it at start.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';

const root = new URL('../', import.meta.url);

export async function writeValidators() {
  // Bundled beside the repository (zod and ajv stay imports, resolved from node_modules), then run once.
  const generator = new URL('.tsbuild/validators-generator.mjs', root);
  await mkdir(new URL('.', generator), { recursive: true });
  await build({
    entryPoints: [new URL('scripts/validators.ts', root).pathname],
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    outfile: generator.pathname,
    logLevel: 'warning',
  });
  try {
    const { validatorsSource } = await import(`${generator.href}?${Date.now()}`);
    const target = new URL('protocol/validators.js', root);
    const source = validatorsSource();
    // Left untouched when unchanged: the build hash and tsx's cache see the same file.
    const old = await readFile(target, 'utf8').catch(() => null);
    if (old !== source) await writeFile(target, source);
  } finally {
    await rm(generator, { force: true });
  }
}
