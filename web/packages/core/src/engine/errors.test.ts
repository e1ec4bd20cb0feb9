import { describe, expect, it } from 'vitest';
import { reviveError, serializeError } from '../rpc/errors.js';
import { BackendUnavailableError, DeviceLostError, EngineError, ModelTooLargeError } from './errors.js';

describe('engine errors across the worker boundary (the rpc registry)', () => {
  it.each([
    new BackendUnavailableError('no backend'),
    new DeviceLostError('gone', { cause: new Error('the adapter went away') }),
    new EngineError('no backend could load m', { details: { fallbacks: [{ from: 'webgpu-f32', to: 'wasm', reason: 'x' }] } }),
    new ModelTooLargeError('too big', 'wasm', 5e9, 4e9, ['webgpu-f32']),
  ])('$name keeps its class, message, stack, cause and details', (original) => {
    const copy = reviveError(structuredClone(serializeError(original))) as EngineError;
    expect(copy).toBeInstanceOf(original.constructor);
    expect(copy).toBeInstanceOf(EngineError);
    expect(copy.name).toBe(original.name);
    expect(copy.message).toBe(original.message);
    expect(copy.stack).toBe(original.stack);
    expect(copy.details).toEqual(original.details);
    expect(copy.cause).toEqual(original.cause);
  });

  it('keeps ModelTooLargeError fields', () => {
    const copy = reviveError(serializeError(new ModelTooLargeError('too big', 'wasm', 5e9, 4e9, ['webgpu-f32'])));
    expect(copy).toMatchObject({ backend: 'wasm', neededBytes: 5e9, limitBytes: 4e9, fits: ['webgpu-f32'] });
  });
});
