#!/usr/bin/env node
// Thin launcher: the archiver lives in dist/archiver (run `npm run build` first).
import { main } from '../dist/archiver/cli.js';

process.exitCode = await main(process.argv.slice(2));
