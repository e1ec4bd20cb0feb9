import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  DeviceLostError,
  deserializeError,
  EngineAbortedError,
  EngineError,
  EngineTimeoutError,
  ModelTooLargeError,
  serializeError,
  WorkerCrashedError,
} from './errors.js';

describe('errors across the worker boundary', () => {
  it.each([
    new BackendUnavailableError('no backend'),
    new WorkerCrashedError('it died'),
    new DeviceLostError('gone'),
    new EngineTimeoutError('generate', 1000),
    new ModelTooLargeError('too big', 'wasm', 5e9, 4e9, ['webgpu-f32']),
    new EngineAbortedError(new Error('user cancelled')),
  ])('$name keeps its class, message, stack and details', (original) => {
    const copy = deserializeError(structuredClone(serializeError(original)));
    expect(copy).toBeInstanceOf(original.constructor);
    expect(copy).toBeInstanceOf(EngineError);
    expect(copy.name).toBe(original.name);
    expect(copy.message).toBe(original.message);
    expect(copy.stack).toBe(original.stack);
    expect(copy.details).toEqual(original.details);
  });

  it('keeps ModelTooLargeError fields', () => {
    const copy = deserializeError(serializeError(new ModelTooLargeError('too big', 'wasm', 5e9, 4e9, ['webgpu-f32'])));
    expect(copy).toMatchObject({ backend: 'wasm', neededBytes: 5e9, limitBytes: 4e9, fits: ['webgpu-f32'] });
  });

  it('keeps the abort reason', () => {
    const copy = deserializeError(serializeError(new EngineAbortedError(new Error('user cancelled'))));
    expect(copy).toBeInstanceOf(EngineAbortedError);
    expect((copy as EngineAbortedError).reason).toEqual(new Error('user cancelled'));
  });

  it('turns unknown errors into EngineError with the original name', () => {
    const copy = deserializeError(serializeError(new TypeError('bad')));
    expect(copy).toBeInstanceOf(EngineError);
    expect(copy.name).toBe('TypeError');
    expect(deserializeError(serializeError('a string')).message).toBe('a string');
  });
});
