/**
 * The engine's error classes. Every error the engine raises is one of these
 * (or the rpc module's `WorkerCrashedError` / `CallTimeoutError`, or an
 * abort's `signal.reason`); they cross the worker boundary through the rpc
 * module's error registry ({@link ENGINE_ERRORS}), keeping class, message,
 * stack, cause and details.
 */

import type { Backend } from '../backend/types.js';
import { registerErrors } from '../rpc/errors.js';

/** Base class of every engine error. */
export class EngineError extends Error {
  override name = 'EngineError';
  /** Extra structured facts about the failure (plain data). */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
  }
}

/** No backend can run the model on this device (and it is not a size problem). */
export class BackendUnavailableError extends EngineError {
  override name = 'BackendUnavailableError';
}

/** The model variant is too large for the backend; `details` says what would fit. */
export class ModelTooLargeError extends EngineError {
  override name = 'ModelTooLargeError';
  constructor(
    message: string,
    readonly backend: Backend | 'none',
    readonly neededBytes: number,
    readonly limitBytes: number,
    readonly fits: readonly Backend[],
  ) {
    super(message, { details: { backend, neededBytes, limitBytes, fits } });
  }
}

/** `generate` was called with no model loaded and nothing to reload. */
export class EngineNotLoadedError extends EngineError {
  override name = 'EngineNotLoadedError';
}

/** The model files or their contract are wrong (missing role, wrong tensor names, bad bytes). */
export class ModelFormatError extends EngineError {
  override name = 'ModelFormatError';
}

/**
 * The bytes are not a well-formed ONNX protobuf: truncated file, a length
 * that runs past its parent, a bad wire type. `details.offset` is the byte
 * offset where reading failed. Thrown by the protobuf reader (`../onnx/`)
 * that the engine's graph scan and the variant transforms share.
 */
export class MalformedModelError extends ModelFormatError {
  override name = 'MalformedModelError';
  constructor(message: string, offset: number, options: { cause?: unknown } = {}) {
    super(`malformed ONNX model at byte ${offset}: ${message}`, { ...options, details: { offset } });
  }
}

/** The GPU device was lost and the engine could neither recover nor fall back. */
export class DeviceLostError extends EngineError {
  override name = 'DeviceLostError';
}

/** A request's arguments are invalid (size, steps, prompt). */
export class InvalidRequestError extends EngineError {
  override name = 'InvalidRequestError';
}

/** Every engine error class, by name, for the rpc module's registry. */
export const ENGINE_ERRORS = {
  EngineError,
  BackendUnavailableError,
  ModelTooLargeError,
  EngineNotLoadedError,
  ModelFormatError,
  MalformedModelError,
  DeviceLostError,
  InvalidRequestError,
} as const;

registerErrors(ENGINE_ERRORS);
