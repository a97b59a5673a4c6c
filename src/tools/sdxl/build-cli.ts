#!/usr/bin/env node
/**
 * node dist/tools/sdxl/build-cli.js --scale tiny|small|full --out DIR [--fp16] [--refiner]
 *   [--seed N] [--graphs unet,vae_decoder]
 * Writes a synthetic SDXL base (or, with --refiner, refiner) pipeline in optimum's layout.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { SDXL_GRAPHS, type SdxlGraph, buildSdxlPipeline } from './build-pipeline.js';
import type { SdxlScale } from './configs.js';

const USAGE = 'usage: build-cli --scale tiny|small|full --out DIR [--fp16] [--refiner] [--seed N] [--graphs a,b]';

export function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: 'string', default: 'tiny' },
      out: { type: 'string' },
      fp16: { type: 'boolean', default: false },
      refiner: { type: 'boolean', default: false },
      seed: { type: 'string', default: '0' },
      graphs: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const scale = values.scale as SdxlScale;
  if (!['tiny', 'small', 'full'].includes(scale) || !values.out) {
    console.error(USAGE);
    return 2;
  }
  const graphs = values.graphs?.split(',').map((g) => g.trim()) as SdxlGraph[] | undefined;
  const unknown = graphs?.filter((g) => !(SDXL_GRAPHS as readonly string[]).includes(g));
  if (unknown?.length) {
    console.error(`unknown graph(s): ${unknown.join(', ')} (known: ${SDXL_GRAPHS.join(', ')})`);
    return 2;
  }
  const started = performance.now();
  const built = buildSdxlPipeline(values.out, {
    scale,
    fp16: values.fp16,
    refiner: values.refiner,
    seed: Number(values.seed),
    ...(graphs ? { graphs } : {}),
    log: (line) => console.log(line),
  });
  console.log(
    `${built.refiner ? 'refiner' : 'base'} (${built.scale}, ${built.dtype}): ${built.parameters.toLocaleString('en-US')} params in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${built.dir}`,
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
