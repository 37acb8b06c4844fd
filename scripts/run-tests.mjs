#!/usr/bin/env node
// Runs the slow test files in parallel processes: one uvu process per file, TEST_JOBS at a time (default 2),
// plus the Python client's tests as one more job with --python. Each job's output is printed whole when it ends.
//
//   node scripts/run-tests.mjs [--python] [folder ...]      folders default to test/adapters test/e2e test/clients
//
// The slowest files start first (durations of the last run are kept in node_modules/.cache/), and dist/ is rebuilt
// first when it is older than src/ or protocol/, so an end-to-end test never runs a stale build.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const DEFAULT_FOLDERS = ['test/adapters', 'test/e2e', 'test/clients'];
const TIMINGS = join(root, 'node_modules', '.cache', 'tinytorch-milestones', 'test-durations.json');

const args = process.argv.slice(2);
const python = args.includes('--python');
const folders = args.filter((arg) => !arg.startsWith('--'));
const jobs = Math.max(1, Number(process.env.TEST_JOBS) || Math.min(2, cpus().length));

/** Newest modification time under a folder, in ms. */
function newest(folder) {
  let latest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function run(command, commandArgs) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, commandArgs, { cwd: root, env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal, output, seconds: (performance.now() - started) / 1000 }));
  });
}

const dist = join(root, 'dist', 'cli.cjs');
if (!existsSync(dist) || statSync(dist).mtimeMs < Math.max(newest(join(root, 'src')), newest(join(root, 'protocol')))) {
  process.stdout.write('dist/ is older than src/ or protocol/: rebuilding it first\n');
  const build = await run(process.execPath, [join(root, 'scripts', 'build.mjs')]);
  if (build.code !== 0) {
    process.stdout.write(build.output);
    process.exit(1);
  }
}

const files = (folders.length ? folders : DEFAULT_FOLDERS).flatMap((folder) =>
  existsSync(join(root, folder))
    ? readdirSync(join(root, folder))
        .filter((name) => name.endsWith('.test.ts'))
        .map((name) => join(folder, name))
    : [],
);
const queue = files.map((file) => ({
  name: file,
  command: process.execPath,
  args: ['--import', 'tsx', join(root, 'node_modules', 'uvu', 'bin.js'), dirname(file), `^${relative(dirname(file), file).replace(/\./g, '\\.')}$`],
}));
if (python) queue.push({ name: 'clients/python (unittest)', command: 'python3', args: ['-m', 'unittest', 'discover', '-s', 'clients/python', '-p', 'test_*.py'] });

let timings = {};
try {
  timings = JSON.parse(readFileSync(TIMINGS, 'utf8'));
} catch {
  // first run: no durations yet
}
queue.sort((a, b) => (timings[b.name] ?? 30) - (timings[a.name] ?? 30));

const started = performance.now();
const results = [];
async function worker() {
  for (let job = queue.shift(); job; job = queue.shift()) {
    const result = await run(job.command, job.args);
    results.push({ ...job, ...result });
    process.stdout.write(`\n━━ ${job.name}: ${result.code === 0 ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(1)} s\n${result.output}`);
  }
}
await Promise.all(Array.from({ length: jobs }, worker));

for (const result of results) timings[result.name] = Math.round(result.seconds * 10) / 10;
mkdirSync(dirname(TIMINGS), { recursive: true });
writeFileSync(TIMINGS, `${JSON.stringify(timings, null, 2)}\n`);

const failed = results.filter((result) => result.code !== 0);
process.stdout.write(`\n${results.length - failed.length}/${results.length} jobs passed in ${((performance.now() - started) / 1000).toFixed(1)} s (${jobs} at a time)\n`);
for (const result of failed) process.stdout.write(`  FAILED: ${result.name}\n`);
process.exit(failed.length ? 1 : 0);
