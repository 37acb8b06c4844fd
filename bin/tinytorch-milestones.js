#!/usr/bin/env node
// The installed command: the bundle does the work (see src/cli.ts); requiring it has no side effect.
// CommonJS (bin/package.json), as the bundle is: no ES module loader is started on the way to the first answer.
'use strict';

require('../dist/cli.cjs')
  .main(process.argv.slice(2))
  .then((code) => {
    if (code !== null) process.exitCode = code;
  });
