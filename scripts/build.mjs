// Bundles src/cli.ts into dist/ with esbuild (code-split: execa and chokidar load on first use),
// copies the pytest plugin beside it and writes the protocol's JSON Schemas into dist/schema/.
import { build } from 'esbuild';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8'));

await rm(new URL('dist/', root), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts', protocol: 'protocol/index.ts', 'emit-schemas': 'scripts/emit-schemas.ts' },
  absWorkingDir: new URL('.', root).pathname,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { TINYTORCH_MILESTONES_VERSION: JSON.stringify(pkg.version) },
  // vscode-jsonrpc is CommonJS: give the ESM bundle a `require` of its own.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});

const plugin = new URL('src/adapters/pytest/', root);
if (existsSync(plugin)) await cp(plugin, new URL('dist/pytest/', root), { recursive: true, filter: (path) => !path.includes('__pycache__') });

await mkdir(new URL('dist/schema/', root), { recursive: true });
const { emitSchemas } = await import(new URL('dist/emit-schemas.js', root).href);
await emitSchemas(new URL('dist/schema/', root));
await rm(new URL('dist/emit-schemas.js', root));
await rm(new URL('dist/emit-schemas.js.map', root), { force: true });
