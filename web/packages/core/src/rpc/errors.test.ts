import { describe, expect, it } from 'vitest';
import { CallTimeoutError, registerErrors, reviveError, serializeError, WorkerCrashedError } from './errors.js';

class ShapeError extends Error {
  override name = 'ShapeError';
  readonly details: Readonly<Record<string, unknown>>;
  constructor(
    readonly width: number,
    details: Record<string, unknown>,
  ) {
    super(`bad width ${width}`);
    this.details = details;
  }
}
registerErrors({ ShapeError });

describe('the error registry', () => {
  it('revives a registered class with its fields and stack, through structured cloning', () => {
    const original = new ShapeError(7, { fits: ['wasm'] });
    const copy = reviveError(structuredClone(serializeError(original)));
    expect(copy).toBeInstanceOf(ShapeError);
    expect(copy).toMatchObject({ name: 'ShapeError', message: 'bad width 7', width: 7, details: { fits: ['wasm'] } });
    expect(copy.stack).toBe(original.stack);
  });

  it("keeps the cause chain, errors or data, and the rpc module's own classes", () => {
    const timeout = new CallTimeoutError('generate', 1000);
    const outer = new WorkerCrashedError('died', { cause: timeout });
    const copy = reviveError(serializeError(outer));
    expect(copy).toBeInstanceOf(WorkerCrashedError);
    expect(copy.cause).toBeInstanceOf(CallTimeoutError);
    expect(copy.cause).toMatchObject({ operation: 'generate', timeoutMs: 1000, message: 'generate did not finish within 1000 ms' });
    expect(reviveError(serializeError(new Error('x', { cause: { code: 5 } }))).cause).toEqual({ code: 5 });
  });

  it('revives DOM exceptions as DOMException, unknown classes as Error bearing their name, non-errors as text', () => {
    const abort = reviveError(serializeError(new DOMException('stop', 'AbortError')));
    expect(abort).toBeInstanceOf(DOMException);
    expect(abort.name).toBe('AbortError');
    const other = reviveError(serializeError(new RangeError('bad')));
    expect(other).toMatchObject({ name: 'RangeError', message: 'bad' });
    expect(reviveError(serializeError('text'))).toMatchObject({ name: 'Error', message: 'text' });
  });

  it('drops fields that cannot be cloned and refuses two classes under one name', () => {
    const error = Object.assign(new Error('x'), { keep: 1, fn: () => 1 });
    expect(serializeError(error).fields).toEqual({ keep: 1 });
    expect(() => registerErrors({ ShapeError: class extends Error {} })).toThrow('two error classes are named ShapeError');
  });
});
