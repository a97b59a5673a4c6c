import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPipelineRoot, findPipelineRoots, readPipelineLayout } from '../../../../src/handlers/sdxl/pipeline-layout.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'nserve-sdxl-layout-'));
  made.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const baseFiles = (prefix: string): Record<string, string> => ({
  [`${prefix}model_index.json`]: JSON.stringify({ _class_name: 'StableDiffusionXLPipeline', force_zeros_for_empty_prompt: true }),
  [`${prefix}unet/model.onnx`]: '',
  [`${prefix}unet/config.json`]: JSON.stringify({ sample_size: 96, in_channels: 4, projection_class_embeddings_input_dim: 2816, addition_time_embed_dim: 256 }),
  [`${prefix}vae_decoder/model.onnx`]: '',
  [`${prefix}vae_decoder/config.json`]: JSON.stringify({ scaling_factor: 0.13025, block_out_channels: [1, 2, 3, 4] }),
  [`${prefix}text_encoder/model.onnx`]: '',
  [`${prefix}text_encoder/config.json`]: JSON.stringify({ num_hidden_layers: 12, hidden_size: 768 }),
  [`${prefix}text_encoder_2/model.onnx`]: '',
  [`${prefix}text_encoder_2/config.json`]: JSON.stringify({ num_hidden_layers: 32, hidden_size: 1280, projection_dim: 1280 }),
  [`${prefix}scheduler/scheduler_config.json`]: JSON.stringify({ timestep_spacing: 'leading', steps_offset: 1 }),
});

describe('SDXL pipeline layout', () => {
  it('reads the optimum base layout: sizes, VAE factors and time_ids length from the configs', () => {
    const root = tree(baseFiles(''));
    const l = readPipelineLayout(root);
    expect(l).toMatchObject({ kind: 'base', sampleSize: 96, vaeScaleFactor: 8, vaeScalingFactor: 0.13025, timeIdsLength: 6, forceZerosForEmptyPrompt: true });
    expect(l.textEncoder?.numHiddenLayers).toBe(12);
    expect(l.textEncoder2?.projectionDim).toBe(1280);
  });

  it('finds base under model/ and the refiner under refiner/ of an extracted archive', () => {
    const dir = tree({
      ...baseFiles('model/stable-diffusion-xl/'),
      'refiner/sdxl-refiner/model_index.json': JSON.stringify({ _class_name: 'StableDiffusionXLImg2ImgPipeline', requires_aesthetics_score: true }),
      'MAR-INF/MANIFEST.json': '{}',
    });
    const roots = findPipelineRoots(dir);
    expect(roots.base).toBe(join(dir, 'model/stable-diffusion-xl'));
    expect(roots.refiner).toBe(join(dir, 'refiner/sdxl-refiner'));
    expect(findPipelineRoot(join(dir, 'nothing'))).toBeUndefined();
  });

  it("Olive refiner: bigG saved as text_encoder/ with a non-standard .onnx name becomes text_encoder_2", () => {
    const root = tree({
      'model_index.json': JSON.stringify({ _class_name: 'ORTStableDiffusionXLImg2ImgPipeline', requires_aesthetics_score: true, force_zeros_for_empty_prompt: false }),
      'unet/model.onnx': '',
      'unet/model.onnx.data': '',
      'unet/config.json': JSON.stringify({ projection_class_embeddings_input_dim: 2560, addition_time_embed_dim: 256 }),
      'vae_decoder/decoder.onnx': '',
      'text_encoder/model.onnx': '',
      'text_encoder/config.json': JSON.stringify({ num_hidden_layers: 32, projection_dim: 1280 }),
    });
    const l = readPipelineLayout(root);
    expect(l.kind).toBe('refiner');
    expect(l.textEncoder).toBeUndefined();
    expect(l.textEncoder2?.tokenizerDir).toBe(join(root, 'tokenizer'));
    expect(l.timeIdsLength).toBe(5);
    expect(l.forceZerosForEmptyPrompt).toBe(false);
    expect(l.vaeDecoder).toBe(join(root, 'vae_decoder/decoder.onnx'));
  });

  it('a folder without unet is rejected with the reason', () => {
    const root = tree({ 'model_index.json': '{}' });
    expect(() => readPipelineLayout(root)).toThrow(/unet/);
  });
});
