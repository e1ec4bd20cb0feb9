/**
 * Errors of the model-variant transforms. They extend the engine's
 * {@link EngineError} and cross the worker boundary through the rpc
 * module's registry ({@link VARIANT_ERRORS}) with name, message, stack,
 * cause and details.
 */

import { EngineError, registerErrors } from '@hybridgen/core';

/** Base class of every variant-transform error. */
export class VariantError extends EngineError {
  override name = 'VariantError';
}

/** The model holds a tensor type or layout the transform does not handle (e.g. an unknown data type number, bfloat16). */
export class UnsupportedModelError extends VariantError {
  override name = 'UnsupportedModelError';
}

/** The derived variant would not fit the storage the browser grants; nothing was written. */
export class VariantQuotaError extends VariantError {
  override name = 'VariantQuotaError';
  constructor(
    message: string,
    readonly neededBytes: number,
    readonly availableBytes: number,
  ) {
    super(message, { details: { neededBytes, availableBytes } });
  }
}

/** Every variant error class, by name, for the rpc module's registry. */
export const VARIANT_ERRORS = { VariantError, UnsupportedModelError, VariantQuotaError } as const;

registerErrors(VARIANT_ERRORS);
