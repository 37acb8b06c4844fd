#!/usr/bin/env node
// The installed command: the bundle does the work (see src/cli.ts).
import '../dist/cli.js';
