import { describe, expect, it } from 'vitest';
import { isPipeline, parsePipeline } from './pipeline.js';
import { getManifest } from './registry.js';
import type { ManifestIssue } from './validate.js';

const sdTurbo = { kind: 'sd-turbo', textMaxLength: 77, padTokenId: 0, latentChannels: 4, vaeScaleFactor: 8, vaeScalingFactor: 0.18215, defaultSize: 512 };

function parse(value: unknown): { pipeline: ReturnType<typeof parsePipeline>; issues: ManifestIssue[] } {
  const issues: ManifestIssue[] = [];
  return { pipeline: parsePipeline(value, issues), issues };
}

describe('parsePipeline', () => {
  it('types the built-in manifests by kind', () => {
    const draft = getManifest('sd-turbo').pipeline;
    const upscale = getManifest('esrgan-slim').pipeline;
    expect(isPipeline(draft, 'sd-turbo') && draft.textMaxLength).toBe(77);
    expect(isPipeline(upscale, 'upscaler') && upscale.tilePadding).toBe(12);
    expect(isPipeline(upscale, 'sd-turbo')).toBe(false);
  });

  it('keeps only the fields of a known kind', () => {
    expect(parse({ ...sdTurbo, note: 'x' })).toEqual({ pipeline: sdTurbo, issues: [] });
  });

  it('keeps a kind it runs nothing for as it is', () => {
    expect(parse({ kind: 'test', anything: [1] })).toEqual({ pipeline: { kind: 'test', anything: [1] }, issues: [] });
  });

  it.each([
    ['x', 'pipeline', 'must be an object'],
    [{ textMaxLength: 77 }, 'pipeline.kind', 'must be a non-empty string'],
    [{ ...sdTurbo, padTokenId: 0.5 }, 'pipeline.padTokenId', 'must be a non-negative integer, got 0.5'],
    [{ ...sdTurbo, vaeScalingFactor: '0.18' }, 'pipeline.vaeScalingFactor', 'must be a positive number, got "0.18"'],
    [{ kind: 'upscaler', valueRange: 255 }, 'pipeline.tilePadding', 'must be a non-negative integer, got nothing'],
  ])('names the bad field of %o', (value, field, problem) => {
    expect(parse(value).issues).toEqual([{ field, problem }]);
  });
});
