import { T } from 'tldraw';
import { describe, expect, it } from 'vitest';
import { imageGenShapeMigrations, imageGenShapeVersions } from './migrations.js';
import { defaultImageGenProps, imageGenShapeProps } from './props.js';

const validator = T.object(imageGenShapeProps);

describe('image-generation shape props', () => {
  it('accepts the defaults', () => {
    expect(validator.validate(defaultImageGenProps())).toEqual(defaultImageGenProps());
  });

  it.each([
    ['an image size that is not a multiple of 8', { imageWidth: 500 }, /multiples of 8/],
    ['a zero image size', { imageHeight: 0 }, /non-zero/i],
    ['an unknown mode', { mode: 'turbo' }, /auto|preview|hq/],
    ['a fractional seed', { seed: 1.5 }, /integer/i],
    ['run state in the document', { status: 'done' }, /status/],
    ['a missing prompt', { prompt: undefined }, /string/i],
  ])('rejects %s', (_name, patch, message) => {
    expect(() => validator.validate({ ...defaultImageGenProps(), ...patch })).toThrow(message);
  });
});

describe('image-generation shape migrations', () => {
  const step = imageGenShapeMigrations.sequence.find((m) => 'id' in m && m.id === imageGenShapeVersions.AddNegativePrompt);

  it('adds negativePrompt to shapes saved before it existed, and removes it going down', () => {
    if (!step || !('up' in step) || typeof step.down !== 'function') throw new Error('AddNegativePrompt migration missing');
    const { negativePrompt: _, ...old } = defaultImageGenProps();
    const props: Record<string, unknown> = { ...old };
    step.up(props);
    expect(validator.validate(props)).toMatchObject({ negativePrompt: '' });
    step.down(props);
    expect(props).not.toHaveProperty('negativePrompt');
  });

  it('moves run state out of shapes saved with it, keeping the result', () => {
    const remove = imageGenShapeMigrations.sequence.find((m) => 'id' in m && m.id === imageGenShapeVersions.RemoveRunState);
    if (!remove || !('up' in remove) || typeof remove.down !== 'function') throw new Error('RemoveRunState migration missing');
    const saved: Record<string, unknown> = { ...defaultImageGenProps(), assetId: 'asset:1', status: 'generating', progress: 0.4, statusText: 'Step 1 of 1' };
    remove.up(saved);
    expect(validator.validate(saved)).toMatchObject({ assetId: 'asset:1' });
    remove.down(saved);
    expect(saved).toMatchObject({ status: 'done', progress: 0, statusText: '' });
  });
});
