import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTestModels } from '@hybridgen/testmodels';
import { afterAll, describe, expect, it } from 'vitest';
import { onnxGraphInputs } from '../../onnx/graph-scan.js';
import { ModelFormatError } from '../errors.js';
import type { SdTurboPipeline } from '../model.js';
import { expectedInputShapes, freeDimensionOverrides } from './input-shapes.js';

const out = mkdtempSync(join(tmpdir(), 'hg-shapes-'));
const { modelDir } = generateTestModels({ outDir: out });
afterAll(() => rmSync(out, { recursive: true, force: true }));

const pipeline: SdTurboPipeline = {
  kind: 'sd-turbo',
  textMaxLength: 77,
  padTokenId: 0,
  latentChannels: 4,
  vaeScaleFactor: 8,
  vaeScalingFactor: 0.18215,
  defaultSize: 512,
};
const at512 = expectedInputShapes(pipeline, 512);

describe('onnxGraphInputs', () => {
  it('reads the declared inputs of the generated graphs (optimum names, fixed hidden width)', () => {
    const unet = onnxGraphInputs(readFileSync(join(modelDir, 'fp16', 'unet', 'model.onnx')));
    expect(unet).toEqual([
      { name: 'sample', dims: ['batch_size', 'num_channels', 'height', 'width'] },
      { name: 'timestep', dims: ['steps'] },
      { name: 'encoder_hidden_states', dims: ['batch_size', 'sequence_length', 32] },
    ]);
    expect(onnxGraphInputs(readFileSync(join(modelDir, 'fp32', 'text_encoder', 'model.onnx')))).toEqual([
      { name: 'input_ids', dims: ['batch_size', 'sequence_length'] },
    ]);
  });
});

describe('freeDimensionOverrides', () => {
  const overridesOf = (precision: string, role: string) =>
    freeDimensionOverrides(role, onnxGraphInputs(readFileSync(join(modelDir, precision, role, 'model.onnx'))), at512);

  it('pins every symbolic input dimension of the three graphs, by the names the graphs use', () => {
    for (const precision of ['fp32', 'fp16']) {
      expect(overridesOf(precision, 'text_encoder')).toEqual({ batch_size: 1, sequence_length: 77 });
      expect(overridesOf(precision, 'unet')).toEqual({ batch_size: 1, num_channels: 4, height: 64, width: 64, steps: 1, sequence_length: 77 });
      expect(overridesOf(precision, 'vae_decoder')).toEqual({ batch_size: 1, num_channels_latent: 4, height_latent: 64, width_latent: 64 });
    }
  });

  it('follows whatever names a graph has (Olive-style exports) and leaves unknown inputs and unsized axes alone', () => {
    const olive = [
      { name: 'sample', dims: ['unet_sample_batch', 'unet_sample_channels', 'unet_sample_height', 'unet_sample_width'] },
      { name: 'timestep', dims: ['unet_time_batch'] },
      { name: 'encoder_hidden_states', dims: ['unet_hidden_batch', 'unet_hidden_sequence', 'feature_dim'] },
      { name: 'timestep_cond', dims: ['cond_batch', 256] },
    ];
    expect(freeDimensionOverrides('unet', olive, expectedInputShapes(pipeline, 256))).toEqual({
      unet_sample_batch: 1,
      unet_sample_channels: 4,
      unet_sample_height: 32,
      unet_sample_width: 32,
      unet_time_batch: 1,
      unet_hidden_batch: 1,
      unet_hidden_sequence: 77,
    });
  });

  it('accepts fixed dimensions of the right size and refuses others, naming input and axis', () => {
    expect(freeDimensionOverrides('unet', [{ name: 'sample', dims: [1, 4, 64, 'w'] }], at512)).toEqual({ w: 64 });
    const wrong = () => freeDimensionOverrides('unet/model.onnx', [{ name: 'sample', dims: [1, 4, 32, 32] }], at512);
    expect(wrong).toThrow(ModelFormatError);
    expect(wrong).toThrow('unet/model.onnx: input sample[2] is fixed at 32, the pipeline needs 64');
    expect(() => freeDimensionOverrides('vae', [{ name: 'latent_sample', dims: ['n', 'c', 'h'] }], at512)).toThrow(/has 3 dimensions, the pipeline feeds it 4/);
  });

  it('refuses one dimension name that would need two sizes', () => {
    const shared = [{ name: 'sample', dims: ['batch', 'side', 'side', 'side'] }];
    expect(() => freeDimensionOverrides('unet', shared, at512)).toThrow('unet: dimension "side" would be 4 (sample[1]) and 64 (sample[2])');
  });
});
