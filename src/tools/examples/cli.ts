#!/usr/bin/env node
/**
 * node dist/tools/examples/cli.js [--store model-store] [--force] [--only tiny_onnx,sdxl_tiny]
 * (`npm run examples`): builds the example archives into the model store.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { EXAMPLES, type ExampleName, buildExamples } from './build-examples.js';
import { errorMessage } from '../../util/error-message.js';

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      store: { type: 'string', default: 'model-store' },
      'work-dir': { type: 'string' },
      force: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  });
  const only = values.only?.split(',').map((s) => s.trim()) as ExampleName[] | undefined;
  const unknown = only?.filter((n) => !(EXAMPLES as readonly string[]).includes(n));
  if (unknown?.length) {
    console.error(`unknown example(s): ${unknown.join(', ')} (known: ${EXAMPLES.join(', ')})`);
    return 2;
  }
  try {
    await buildExamples({
      storeDir: values.store,
      force: values.force,
      ...(values['work-dir'] ? { workDir: values['work-dir'] } : {}),
      ...(only ? { only } : {}),
      log: (line) => console.log(line),
    });
    return 0;
  } catch (err) {
    console.error(errorMessage(err));
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
