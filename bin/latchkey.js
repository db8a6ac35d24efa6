#!/usr/bin/env node
// The `latchkey` command: runs the built CLI (npm install builds it; `npm run build` again after changes).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli-main.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('latchkey: not built yet. Run `npm run build` (npm install does it) and try again.');
  process.exit(1);
}
await import(cli.href);
