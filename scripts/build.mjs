// Bundles src/cli.ts into one CommonJS file, dist/cli.cjs, with esbuild: the `--stdio` start-up path is one file, read
// and compiled in one go, with no ES module loader (issue 9: one static graph, and CommonJS, each paid at start).
// The big libraries used later (execa, chokidar, zod) are bundled apart in dist/vendor/ and required on first use.
// Copies the pytest plugin beside it and writes the protocol's JSON Schemas into dist/schema/.
import { build as esbuild } from 'esbuild';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8'));
// The params validators the sidecar starts with, generated from protocol/'s zod schemas (scripts/validators.ts).
await (await import('./write-validators.mjs')).writeValidators();

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
const common = {
  absWorkingDir: new URL('.', root).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20.19',
  sourcemap: 'linked',
  logLevel: 'warning',
};

/** Libraries bundled on their own and required on first use: a process that never runs, watches or explains an error does not read them. */
const VENDORED = ['execa', 'chokidar', 'zod'];
for (const name of VENDORED) {
  await esbuild({ ...common, stdin: { contents: `export * from '${name}';`, resolveDir: common.absWorkingDir, loader: 'js' }, format: 'cjs', outfile: `dist/vendor/${name}.cjs` });
}
const vendored = {
  name: 'vendored',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^(${VENDORED.join('|')})$`) }, ({ path }) => ({ path: `./vendor/${path}.cjs`, external: true }));
  },
};

// The command (bin/ requires it). An import() inside it becomes a require of code already in the file, or of dist/vendor/.
await esbuild({
  ...common,
  entryPoints: ['src/cli.ts'],
  format: 'cjs',
  outfile: 'dist/cli.cjs',
  plugins: [vendored],
  supported: { 'dynamic-import': false },
  define: {
    TINYTORCH_MILESTONES_VERSION: JSON.stringify(pkg.version),
    TINYTORCH_MILESTONES_BUILD: JSON.stringify(build),
    'import.meta.url': '__import_meta_url',
  },
  banner: { js: "var __import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
});

// The protocol for other programs (package.json "exports"), and the schema emitter run below: ES modules that import
// zod from dist/vendor/ too, so the package carries one copy of it.
await esbuild({ ...common, entryPoints: { protocol: 'protocol/index.ts', 'emit-schemas': 'scripts/emit-schemas.ts' }, format: 'esm', outdir: 'dist', plugins: [vendored] });

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

/**
 * The V8 code cache of dist/cli.cjs (bin/ compiles the bundle with it): made by a short session of the built command,
 * in a throwaway HOME (initialize, milestones/progress, milestones/checkExport, shutdown, exit), so that it holds the
 * functions a session runs. A session that fails fails the build: the command itself is broken.
 */
async function writeCodeCache() {
  const home = await mkdtemp(join(tmpdir(), 'tinytorch-milestones-build-'));
  const bin = new URL('bin/tinytorch-milestones.js', root).pathname;
  const out = new URL('dist/cli.cjs.cache', root).pathname;
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TINYTORCH_') && name !== 'XDG_RUNTIME_DIR'));
  const session = `const { load } = require(${JSON.stringify(bin)});
const { cli, script } = load();
process.once('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, script.createCachedData()));
cli.main(['--stdio']);`;
  const child = spawn(process.execPath, ['-e', session], { cwd: home, env: { ...env, HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('close', resolve));
  const died = exited.then(() => Promise.reject(new Error(`the command exited early: ${stderr}`)));
  died.catch(() => {});
  const answers = new Map();
  let buffer = Buffer.alloc(0);
  child.stdout.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: *(\d+)/i.exec(buffer.subarray(0, end).toString('latin1'))?.[1]);
      if (buffer.length < end + 4 + length) return;
      const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString('utf8'));
      buffer = buffer.subarray(end + 4 + length);
      if (message.id !== undefined) answers.get(message.id)?.(message);
    }
  });
  const send = (message) => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }));
    child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    child.stdin.write(body);
  };
  let id = 0;
  const ask = (method, params) => {
    const asked = ++id;
    const answered = new Promise((resolve, reject) => answers.set(asked, (message) => (message.error ? reject(new Error(`${method}: ${message.error.message}`)) : resolve())));
    send({ id: asked, method, params });
    return Promise.race([answered, died]);
  };
  try {
    await ask('initialize', { processId: null, rootUri: null, capabilities: {} });
    await ask('milestones/progress', {});
    await ask('milestones/checkExport', { module: '01_tensor' });
    await ask('shutdown', null);
    send({ method: 'exit' });
    if ((await exited) !== 0) throw new Error(`the command failed at exit: ${stderr}`);
    if (!existsSync(out)) throw new Error('no code cache was written');
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`the built command failed a short session: ${error.message}`);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
await writeCodeCache();
