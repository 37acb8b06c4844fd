#!/usr/bin/env node
// The installed command: the bundle does the work (see src/cli.ts); running it has no other side effect.
// CommonJS (bin/package.json), as the bundle is: no ES module loader is started on the way to the first answer.
// The bundle is compiled with the V8 code cache the build made from a short session (dist/cli.cjs.cache), so the
// functions a session runs are read rather than compiled at each start; a Node that does not accept it (another V8,
// other V8 flags) compiles as usual.
'use strict';
const { readFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { dirname, join } = require('node:path');
const { constants, Script } = require('node:vm');

const BUNDLE = join(__dirname, '..', 'dist', 'cli.cjs');

/** Compiles and runs the bundle as require() would; `script` can make a new code cache after a session (the build). */
function load() {
  let cachedData;
  try {
    cachedData = readFileSync(`${BUNDLE}.cache`);
  } catch {
    // No cache: compile as usual.
  }
  const script = new Script(wrap(readFileSync(BUNDLE, 'utf8')), {
    filename: BUNDLE,
    cachedData,
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, createRequire(BUNDLE), bundle, BUNDLE, dirname(BUNDLE));
  return { cli: bundle.exports, script };
}

if (require.main === module) {
  load()
    .cli.main(process.argv.slice(2))
    .then((code) => {
      if (code !== null) process.exitCode = code;
    });
} else {
  module.exports = { load };
}
