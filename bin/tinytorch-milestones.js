#!/usr/bin/env node
// The installed command: the bundle does the work (see src/cli.ts); importing it has no side effect.
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
if (code !== null) process.exitCode = code;
