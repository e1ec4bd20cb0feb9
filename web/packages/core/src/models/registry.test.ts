import { describe, expect, it } from 'vitest';
import { assertDraftingModel, getManifest, NotADraftingModelError } from './registry.js';

describe('assertDraftingModel', () => {
  it('passes the drafting model and refuses the built-in upscaler with a typed error', () => {
    expect(assertDraftingModel(getManifest('sd-turbo')).id).toBe('sd-turbo');
    let caught: unknown;
    try {
      assertDraftingModel(getManifest('esrgan-slim'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NotADraftingModelError);
    expect(caught).toMatchObject({ modelId: 'esrgan-slim', kind: 'upscaler' });
  });
});
