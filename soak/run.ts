// `npm run soak [-- --quick] [--minutes N] [--requests N] [name...]`: runs every soak/*.soak.ts campaign, prints its figures, fails on a broken bound.
import { readdirSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { Campaign } from './campaign.js';

const { values, positionals } = parseArgs({
  options: { quick: { type: 'boolean' }, minutes: { type: 'string' }, requests: { type: 'string' } },
  allowPositionals: true,
});
const minutes = values.minutes === undefined ? 30 : Number(values.minutes);
const requests = values.requests === undefined ? null : Number(values.requests);
if (!(minutes > 0) || (requests !== null && !(Number.isInteger(requests) && requests > 0))) {
  console.error('usage: npm run soak -- [--quick] [--minutes N] [--requests N] [campaign name filter...]');
  process.exit(2);
}

const folder = new URL('./', import.meta.url);
const files = readdirSync(folder)
  .filter((name) => name.endsWith('.soak.ts') && (positionals.length === 0 || positionals.some((filter) => name.includes(filter))))
  .sort();

console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, node ${process.version}`);
console.log(values.quick ? `soak --quick${requests === null ? '' : ` --requests ${requests}`}` : `soak for ${minutes} min per campaign`);
let failed = 0;
for (const file of files) {
  const { campaign } = (await import(new URL(file, folder).href)) as { campaign: Campaign };
  console.log(`\n== ${campaign.title} (${file})`);
  const started = Date.now();
  const result = await campaign.run({ quick: values.quick === true, durationMs: minutes * 60_000, requests, log: (line) => console.log(`  ${line}`) });
  for (const [name, value] of Object.entries(result.figures)) console.log(`  ${name}: ${value}`);
  for (const failure of result.failures) console.log(`  FAILED: ${failure}`);
  console.log(`  ${result.ok ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!result.ok) failed++;
}
if (failed) {
  console.log(`\n${failed} of ${files.length} soak campaigns failed`);
  process.exitCode = 1;
}
