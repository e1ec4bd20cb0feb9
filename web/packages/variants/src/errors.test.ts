import { MalformedModelError, reviveError, serializeError } from '@hybridgen/core';
import { describe, expect, it } from 'vitest';
import { UnsupportedModelError, VariantQuotaError } from './errors.js';

describe('variant errors across the worker boundary (the rpc registry)', () => {
  it('keep class, message, stack and details, even through JSON', () => {
    for (const original of [
      new MalformedModelError('truncated varint', 1234),
      new UnsupportedModelError('initializer odd has an unsupported data type 99 element type'),
      new VariantQuotaError('the fp32 variant needs 5.0 GB of storage; the browser grants 1.0 GB more', 5e9, 1e9),
    ]) {
      const copy = reviveError(JSON.parse(JSON.stringify(serializeError(original)))) as MalformedModelError;
      expect(copy).toBeInstanceOf(original.constructor);
      expect(copy.name).toBe(original.name);
      expect(copy.message).toBe(original.message);
      expect(copy.stack).toBe(original.stack);
      expect(copy.details).toEqual(original.details);
    }
    const quota = reviveError(serializeError(new VariantQuotaError('x', 5, 1))) as VariantQuotaError;
    expect([quota.neededBytes, quota.availableBytes]).toEqual([5, 1]);
  });
});
