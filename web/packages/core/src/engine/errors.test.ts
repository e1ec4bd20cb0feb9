import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  DeviceLostError,
  deserializeEngineError,
  EngineAbortedError,
  EngineError,
  EngineTimeoutError,
  ModelTooLargeError,
  serializeEngineError,
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
    const copy = deserializeEngineError(structuredClone(serializeEngineError(original)));
    expect(copy).toBeInstanceOf(original.constructor);
    expect(copy).toBeInstanceOf(EngineError);
    expect(copy.name).toBe(original.name);
    expect(copy.message).toBe(original.message);
    expect(copy.stack).toBe(original.stack);
    expect(copy.details).toEqual(original.details);
  });

  it('keeps ModelTooLargeError fields', () => {
    const copy = deserializeEngineError(serializeEngineError(new ModelTooLargeError('too big', 'wasm', 5e9, 4e9, ['webgpu-f32'])));
    expect(copy).toMatchObject({ backend: 'wasm', neededBytes: 5e9, limitBytes: 4e9, fits: ['webgpu-f32'] });
  });

  it('keeps the abort reason', () => {
    const copy = deserializeEngineError(serializeEngineError(new EngineAbortedError(new Error('user cancelled'))));
    expect(copy).toBeInstanceOf(EngineAbortedError);
    expect((copy as EngineAbortedError).reason).toEqual(new Error('user cancelled'));
  });

  it('turns unknown errors into EngineError with the original name', () => {
    const copy = deserializeEngineError(serializeEngineError(new TypeError('bad')));
    expect(copy).toBeInstanceOf(EngineError);
    expect(copy.name).toBe('TypeError');
    expect(deserializeEngineError(serializeEngineError('a string')).message).toBe('a string');
  });
});
