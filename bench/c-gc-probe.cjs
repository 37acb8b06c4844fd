// Preloaded into a server by c-client.mjs (`node --require`): records the process's garbage collections on the
// machine's monotonic clock (ns) and prints them to stderr at exit, one line, so the client can tell whether its
// slowest requests overlapped one. Writes nothing to stdout (the protocol's).
const { PerformanceObserver, performance } = require('node:perf_hooks');

const origin = Number(process.hrtime.bigint()) - performance.now() * 1e6;
const collections = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) collections.push([origin + entry.startTime * 1e6, origin + (entry.startTime + entry.duration) * 1e6, entry.detail?.kind ?? entry.kind]);
}).observe({ entryTypes: ['gc'] });
process.on('exit', () => {
  process.stderr.write(`c-gc-probe ${JSON.stringify(collections)}\n`);
});
