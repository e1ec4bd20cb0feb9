/**
 * Static input shapes for the SD-Turbo graphs. ORT-web runs faster (and the
 * WebGPU EP compiles fewer shader variants) when no input dimension is
 * symbolic, so the engine pins every symbolic dimension it can derive from
 * the pipeline config, by input name and axis, whatever the graph calls it
 * (optimum's `batch_size`/`sequence_length`/`height_latent`..., Olive's
 * `unet_sample_batch`..., or anything else): ORT's `freeDimensionOverrides`
 * take the graph's own dimension names.
 */

import type { DeclaredInput } from '../../onnx/graph-scan.js';
import { ModelFormatError } from '../errors.js';
import type { SdTurboPipeline } from '../model.js';

/** Per axis: the size an input must have, or null to leave the axis as the graph declares it. */
export type ExpectedShape = readonly (number | null)[];

/**
 * The inputs' shapes for one image of `size` px, by input name (the names are
 * unique across the text encoder, UNet and decoders).
 *
 * - `input_ids` [1, textMaxLength]: pinned. Decided by a test
 *   (`web/tests/browser/engine-contract.test.ts`): on onnxruntime-web 1.30 the
 *   text encoder gives bit-identical `last_hidden_state` with and without the
 *   pin, on WebGPU and WASM (the ORT Web demo left it free because of a bad
 *   image on 1.17).
 * - `timestep` [1]: pinned. The demo warns that pinning the UNet's `steps`
 *   fails session creation (1.17); the same test creates and runs the UNet
 *   with it pinned on 1.30.
 * - `encoder_hidden_states` [1, textMaxLength, free]: the hidden width is fixed
 *   in the published files; a graph that leaves it symbolic keeps it so.
 */
export function expectedInputShapes(pipeline: SdTurboPipeline, size: number): Readonly<Record<string, ExpectedShape>> {
  const latent = size / pipeline.vaeScaleFactor;
  const latents = [1, pipeline.latentChannels, latent, latent];
  return {
    input_ids: [1, pipeline.textMaxLength],
    sample: latents,
    timestep: [1],
    encoder_hidden_states: [1, pipeline.textMaxLength, null],
    latent_sample: latents,
  };
}

/**
 * `freeDimensionOverrides` for a graph: every symbolic dimension of its
 * inputs that `expected` sizes, keyed by the graph's own dimension name.
 * Inputs `expected` does not name keep their dimensions. Throws
 * {@link ModelFormatError} when a fixed dimension has another size than the
 * pipeline needs, or when one dimension name would need two sizes.
 */
export function freeDimensionOverrides(
  graph: string,
  inputs: readonly DeclaredInput[],
  expected: Readonly<Record<string, ExpectedShape>>,
): Record<string, number> {
  const overrides: Record<string, number> = {};
  const pinnedBy: Record<string, string> = {};
  for (const input of inputs) {
    const shape = expected[input.name];
    if (!shape) continue;
    if (input.dims.length && input.dims.length !== shape.length) {
      throw new ModelFormatError(`${graph}: input ${input.name} has ${input.dims.length} dimensions, the pipeline feeds it ${shape.length}`);
    }
    input.dims.forEach((dim, axis) => {
      const want = shape[axis];
      if (want === null || want === undefined || dim === null) return;
      const where = `${input.name}[${axis}]`;
      if (typeof dim === 'number') {
        if (dim !== want) throw new ModelFormatError(`${graph}: input ${where} is fixed at ${dim}, the pipeline needs ${want}`);
        return;
      }
      const earlier = overrides[dim];
      if (earlier !== undefined && earlier !== want) {
        throw new ModelFormatError(`${graph}: dimension "${dim}" would be ${earlier} (${pinnedBy[dim]}) and ${want} (${where})`);
      }
      overrides[dim] = want;
      pinnedBy[dim] = where;
    });
  }
  return overrides;
}
