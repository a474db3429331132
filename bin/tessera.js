#!/usr/bin/env node
// The `tessera` command; the implementation is lib/cli/main.ts, compiled to dist/.
require('../dist/cli/main.js').run();
