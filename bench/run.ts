// `npm run bench [-- --quick] [--runs N] [--tinytorch DIR] [--guard] [NAME...]`: every figure of issue 9 as a median
// with its ratio to a baseline measured in the same invocation (A B A B), printed and written to bench/results.json.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, ROOT, type Bench, type Figure } from './lib.js';

const { values, positionals } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    runs: { type: 'string' },
    tinytorch: { type: 'string' },
    guard: { type: 'boolean' },
    out: { type: 'string' },
  },
  allowPositionals: true,
});
const quick = values.quick === true;
const runs = Number(values.runs ?? (quick ? 3 : 20));
const tinytorch = values.tinytorch ?? process.env.TINYTORCH_CHECKOUT ?? null;

const version = (command: string, args: string[]) => {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')[0]!;
  } catch {
    return 'not found';
  }
};
const pkg = (name: string) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version as string;
const machine = {
  cpu: `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()}`,
  loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
};
const versions = {
  node: process.version,
  python3: version('python3', ['-c', 'import sys; print(sys.executable, sys.version.split()[0])']),
  debianPython3: version('/usr/bin/python3', ['-c', 'import sys; print(sys.version.split()[0])']),
  hyperfine: version('hyperfine', ['--version']),
  'vscode-jsonrpc': pkg('vscode-jsonrpc'),
  zod: pkg('zod'),
  chokidar: pkg('chokidar'),
  execa: pkg('execa'),
};
console.log(`machine: ${machine.cpu}, ${machine.memoryGiB} GiB, ${machine.os}, load ${machine.loadAverage.join(' ')}`);
console.log(
  `versions: ${Object.entries(versions)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ')}`,
);
console.log(`runs: ${runs} per figure${quick ? ' (quick)' : ''}`);

const folder = new URL('./', import.meta.url);
const files = readdirSync(folder)
  .filter((name) => name.endsWith('.bench.ts') && (positionals.length === 0 || positionals.some((filter) => name.includes(filter))))
  .sort();

const figures: Figure[] = [];
const failures: string[] = [];
for (const file of files) {
  console.log(`\n== ${file}`);
  try {
    const { bench } = (await import(new URL(file, folder).href)) as { bench: Bench };
    console.log(`   ${bench.title}`);
    await bench.run({
      runs,
      quick,
      tinytorch,
      figure: (figure) => {
        figures.push(figure);
        const ratio = figure.ratio === undefined ? '' : `  ${fmt(figure.ratio, 2)}x ${figure.baselineLabel} (${fmt(figure.baseline!)} ${figure.unit})`;
        const target = figure.target ? `  target ${figure.target}: ${figure.met ? 'met' : 'NOT met'}` : '';
        console.log(`  ${figure.label}: ${fmt(figure.value, figure.unit === 'req/s' ? 0 : 2)} ${figure.unit}${ratio}${target}${figure.note ? `  (${figure.note})` : ''}`);
      },
      log: (text) => console.log(`  ${text}`),
    });
  } catch (error) {
    failures.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    console.log(`  FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

console.log('\n| figure | value | baseline | ratio | target | met |\n|---|---|---|---|---|---|');
for (const figure of figures) {
  const digits = figure.unit === 'req/s' ? 0 : figure.unit === 'ms' && figure.value < 10 ? 2 : 1;
  console.log(
    `| ${figure.label} | ${fmt(figure.value, digits)} ${figure.unit} | ${figure.baseline === undefined ? '' : `${fmt(figure.baseline, digits)} ${figure.unit} (${figure.baselineLabel})`} | ${figure.ratio === undefined ? '' : `${fmt(figure.ratio, 2)}x`} | ${figure.target ?? ''} | ${figure.met === undefined || figure.met === null ? '' : figure.met ? 'yes' : 'no'} |`,
  );
}

const out = values.out ?? join(ROOT, 'bench', 'results.json');
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), machine, versions, runs, quick, tinytorch, figures, failures }, null, 2)}\n`);
console.log(`\nwritten: ${out}`);

const gross = figures.filter((figure) => figure.gross);
if (failures.length) console.log(`\nbenchmarks that failed: ${failures.join('; ')}`);
if (values.guard && (gross.length || failures.length)) {
  console.log(
    `\nGROSS REGRESSION (3x a target): ${gross.map((figure) => `${figure.label} ${fmt(figure.value, 2)} ${figure.unit}${figure.ratio === undefined ? '' : ` = ${fmt(figure.ratio, 2)}x`}`).join('; ')}`,
  );
  process.exitCode = 1;
}
