#!/usr/bin/env node
// `nserve`: TorchServe-compatible command line (`--start`, `--stop`, `--foreground`, ...).
// Runs the compiled composition root; build first with `npm run build`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('nserve: dist/main.js not found; run `npm run build` first\n');
  process.exit(2);
}
const { main } = await import(entry);
const code = await main(process.argv.slice(2));
process.exit(code);
