/**
 * Errors of the model-variant transforms. They extend the engine's
 * {@link EngineError}, so they cross the worker boundary with name, message,
 * stack and details like every engine error.
 */

import { deserializeEngineError, EngineError, type SerializedEngineError } from '../engine/errors.js';

/** Base class of every variant-transform error. */
export class VariantError extends EngineError {
  override name = 'VariantError';
}

/**
 * The input is not a well-formed ONNX protobuf: truncated file, a length
 * that runs past its parent, a bad wire type. `details.offset` is the byte
 * offset where reading failed.
 */
export class MalformedModelError extends VariantError {
  override name = 'MalformedModelError';
  constructor(message: string, offset: number, options: { cause?: unknown } = {}) {
    super(`malformed ONNX model at byte ${offset}: ${message}`, { ...options, details: { offset } });
  }
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

/**
 * Re-creates a variant error from its serialized form (as it crossed the
 * worker boundary), keeping class, message, stack and details; any other
 * error goes through the engine's {@link deserializeEngineError}.
 */
export function deserializeVariantError(data: SerializedEngineError): EngineError {
  const d = data.details ?? {};
  let error: EngineError;
  if (data.name === 'MalformedModelError') {
    error = new MalformedModelError('', Number(d.offset ?? 0));
  } else if (data.name === 'UnsupportedModelError') {
    error = new UnsupportedModelError(data.message);
  } else if (data.name === 'VariantQuotaError') {
    error = new VariantQuotaError(data.message, Number(d.neededBytes ?? 0), Number(d.availableBytes ?? 0));
  } else if (data.name === 'VariantError') {
    error = new VariantError(data.message);
  } else return deserializeEngineError(data);
  error.message = data.message;
  if (data.stack) error.stack = data.stack;
  return error;
}
