// Bundles the extension (and its integration tests) with esbuild; with --server, stages the built sidecar in server/.
import { build } from 'esbuild';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';

const here = new URL('../', import.meta.url);
const sidecar = new URL('../../dist/', here);

await rm(new URL('out/', here), { recursive: true, force: true });
await build({
  entryPoints: { extension: 'src/extension.ts', 'test/integration/index': 'test/integration/index.ts' },
  absWorkingDir: here.pathname,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  outdir: 'out',
  outExtension: { '.js': '.cjs' },
  external: ['vscode'],
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});

if (process.argv.includes('--server')) {
  // The .vsix carries the sidecar as the package installs it: bin/ (the entry) and dist/ (the bundle, its vendored
  // libraries and the pytest plugin), so the extension starts exactly what `tinytorch-milestones` runs.
  if (!existsSync(new URL('cli.cjs', sidecar))) {
    console.error('clients/vscode: the sidecar is not built: run "npm run build" at the repository root first');
    process.exit(1);
  }
  const server = new URL('server/', here);
  await rm(server, { recursive: true, force: true });
  await mkdir(server, { recursive: true });
  await cp(sidecar, new URL('dist/', server), { recursive: true, filter: (path) => !path.endsWith('.map') && !path.includes('__pycache__') });
  await cp(new URL('../../bin/', here), new URL('bin/', server), { recursive: true });
  // dist/protocol.js is an ES module (bin/ and the .cjs bundle say CommonJS themselves), and the extension's own
  // package.json is not what the sidecar's files should follow.
  await writeFile(new URL('package.json', server), '{ "type": "module" }\n');
}
