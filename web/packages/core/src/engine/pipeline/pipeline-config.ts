/** Reading and checking a manifest's `pipeline` block (the manifest types leave it open; the engine validates it). */

import { ModelFormatError } from '../errors.js';
import type { PipelineConfig } from '../model.js';

const POSITIVE_INTEGERS = ['textMaxLength', 'latentChannels', 'vaeScaleFactor', 'defaultSize'] as const;

/** Checks `pipeline` and returns it typed; throws {@link ModelFormatError} naming the bad field. */
export function readPipelineConfig(pipeline: object, modelId: string): PipelineConfig {
  const p = pipeline as Record<string, unknown>;
  const bad = (field: string, want: string): ModelFormatError =>
    new ModelFormatError(`${modelId}: manifest pipeline.${field} must be ${want}, got ${JSON.stringify(p[field])}`);
  if (p.kind !== 'sd-turbo') throw bad('kind', '"sd-turbo" (the only pipeline this engine runs)');
  for (const field of POSITIVE_INTEGERS) {
    const v = p[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw bad(field, 'a positive integer');
  }
  if (typeof p.padTokenId !== 'number' || !Number.isInteger(p.padTokenId) || p.padTokenId < 0) throw bad('padTokenId', 'a non-negative integer');
  if (typeof p.vaeScalingFactor !== 'number' || !(p.vaeScalingFactor > 0)) throw bad('vaeScalingFactor', 'a positive number');
  return {
    kind: 'sd-turbo',
    textMaxLength: p.textMaxLength as number,
    padTokenId: p.padTokenId,
    latentChannels: p.latentChannels as number,
    vaeScaleFactor: p.vaeScaleFactor as number,
    vaeScalingFactor: p.vaeScalingFactor,
    defaultSize: p.defaultSize as number,
  };
}
