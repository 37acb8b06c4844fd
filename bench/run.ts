// Runs every bench/*.bench.ts (or those whose names contain an argument) against the built sidecar, after printing the machine.
import { cpus, platform, release, totalmem } from 'node:os';
import { readdirSync } from 'node:fs';

export interface Bench {
  readonly title: string;
  run(): Promise<void>;
}

const folder = new URL('./', import.meta.url);
const filters = process.argv.slice(2);
const files = readdirSync(folder)
  .filter((name) => name.endsWith('.bench.ts') && (filters.length === 0 || filters.some((filter) => name.includes(filter))))
  .sort();

console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, node ${process.version}`);
for (const file of files) {
  const { bench } = (await import(new URL(file, folder).href)) as { bench: Bench };
  console.log(`\n== ${bench.title} (${file})`);
  await bench.run();
}
