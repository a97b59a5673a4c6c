#!/usr/bin/env node
// Used by `npm start`: builds the example model archives into model-store/ when there are none
// yet, by running `npm run examples` (skipped when that script does not exist).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const store = join(root, 'model-store');
const isArchive = (name) => !name.startsWith('.') && (name.endsWith('.mar') || name.endsWith('.tar.gz') || name.endsWith('.model'));
const present = existsSync(store) ? readdirSync(store).filter(isArchive) : [];
if (present.length > 0) {
  console.log(`model-store has ${present.length} archive(s): ${present.join(', ')}`);
  process.exit(0);
}
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts ?? {};
if (scripts.examples === undefined) {
  console.log('model-store is empty and there is no `examples` script; starting with no models');
  process.exit(0);
}
console.log('model-store is empty: building the examples (npm run examples)');
const run = spawnSync('npm', ['run', 'examples'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(run.status ?? 1);
