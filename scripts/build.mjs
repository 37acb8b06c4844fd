// Bundles src/cli.ts into dist/ with esbuild (code-split: execa and chokidar load on first use),
// copies the pytest plugin beside it and writes the protocol's JSON Schemas into dist/schema/.
import { build as esbuild } from 'esbuild';
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8'));

/** A hash of everything that goes into the bundle: the daemon's socket name carries it, so an upgrade never talks to an old daemon. */
async function buildHash() {
  const hash = createHash('sha256');
  const files = ['package.json', 'package-lock.json', 'scripts/build.mjs'];
  for (const folder of ['src', 'protocol']) {
    for (const entry of await readdir(new URL(`${folder}/`, root), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files.push(`${entry.parentPath ?? entry.path}/${entry.name}`.slice(new URL('.', root).pathname.length));
    }
  }
  for (const file of files.sort()) {
    if (!existsSync(new URL(file, root))) continue;
    hash
      .update(file)
      .update('\0')
      .update(await readFile(new URL(file, root)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}
const build = await buildHash();

await rm(new URL('dist/', root), { recursive: true, force: true });
await esbuild({
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
  define: { TINYTORCH_MILESTONES_VERSION: JSON.stringify(pkg.version), TINYTORCH_MILESTONES_BUILD: JSON.stringify(build) },
  // vscode-jsonrpc is CommonJS: give the ESM bundle a `require` of its own.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});

const plugin = new URL('src/adapters/pytest/', root);
if (existsSync(plugin)) await cp(plugin, new URL('dist/pytest/', root), { recursive: true, filter: (path) => !path.includes('__pycache__') });

// The built-in catalogs are trusted at run time (src/core/catalog.ts): they are validated here, once, by zod.
{
  const { Catalog, catalogProblems } = await import(new URL('dist/protocol.js', root).href);
  for (const name of ['seed', 'tinytorch']) {
    const value = JSON.parse(await readFile(new URL(`src/core/catalogs/${name}.json`, root), 'utf8'));
    const parsed = Catalog.safeParse(value);
    const problems = [...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)), ...catalogProblems(value)];
    if (problems.length) throw new Error(`the built-in catalog ${name} is invalid: ${problems.join('; ')}`);
  }
}

await mkdir(new URL('dist/schema/', root), { recursive: true });
const { emitSchemas } = await import(new URL('dist/emit-schemas.js', root).href);
await emitSchemas(new URL('dist/schema/', root));
await rm(new URL('dist/emit-schemas.js', root));
await rm(new URL('dist/emit-schemas.js.map', root), { force: true });

// The daemon's identity, for clients that find the socket without starting Node (clients/python).
await writeFile(new URL('dist/build-id', root), `v${pkg.version}-${build}\n`);

// The Python clients' bytecode, as \`pip install\` would compile it: with PYTHONDONTWRITEBYTECODE=1 (set on these
// machines) every fresh process would otherwise recompile them. checked-hash: used only while the source is unchanged.
for (const python of new Set(['python3', '/usr/bin/python3'])) {
  spawnSync(python, ['-m', 'compileall', '-q', '--invalidation-mode', 'checked-hash', 'clients/python/milestone_tracker.py', 'clients/python/tinytorch_milestones_client.py'], {
    cwd: new URL('.', root).pathname,
    stdio: 'ignore',
  });
}
