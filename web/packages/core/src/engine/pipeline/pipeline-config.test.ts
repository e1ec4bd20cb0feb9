import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.js';
import { readPipelineConfig } from './pipeline-config.js';

const good = { kind: 'sd-turbo', textMaxLength: 77, padTokenId: 0, latentChannels: 4, vaeScaleFactor: 8, vaeScalingFactor: 0.18215, defaultSize: 512 };

describe('readPipelineConfig', () => {
  it('accepts the manifest pipeline block', () => {
    expect(readPipelineConfig(good, 'sd-turbo')).toEqual(good);
  });

  it.each([
    [{ kind: 'sdxl' }, /pipeline\.kind must be "sd-turbo"/],
    [{ textMaxLength: 0 }, /pipeline\.textMaxLength must be a positive integer, got 0/],
    [{ latentChannels: '4' }, /pipeline\.latentChannels must be a positive integer, got "4"/],
    [{ padTokenId: -1 }, /pipeline\.padTokenId must be a non-negative integer/],
    [{ vaeScalingFactor: 0 }, /pipeline\.vaeScalingFactor must be a positive number/],
    [{ defaultSize: undefined }, /pipeline\.defaultSize must be a positive integer, got nothing/],
  ])('rejects %o', (change, message) => {
    expect(() => readPipelineConfig({ ...good, ...change }, 'm')).toThrow(ModelFormatError);
    expect(() => readPipelineConfig({ ...good, ...change }, 'm')).toThrow(message);
  });
});
