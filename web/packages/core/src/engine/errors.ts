/**
 * The engine's error classes. Every error the engine raises is one of these,
 * on both sides of the worker boundary: a worker serialises its errors with
 * {@link serializeError} and the client re-creates the same class with
 * {@link deserializeError}, keeping name, message, stack and details.
 */

import type { Backend } from '../backend/types.js';

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

/** The caller's `AbortSignal` fired; `reason` is the signal's reason. */
export class EngineAbortedError extends EngineError {
  override name = 'EngineAbortedError';
  readonly reason: unknown;
  constructor(reason?: unknown, message = 'the operation was aborted') {
    super(reason instanceof Error ? `${message}: ${reason.message}` : message, { cause: reason });
    this.reason = reason;
  }
}

/** A call did not finish within its timeout. */
export class EngineTimeoutError extends EngineError {
  override name = 'EngineTimeoutError';
  constructor(operation: string, timeoutMs: number) {
    super(`${operation} did not finish within ${timeoutMs} ms`, { details: { operation, timeoutMs } });
  }
}

/** The engine's worker died (uncaught error, terminated, crashed); the next call starts a new one. */
export class WorkerCrashedError extends EngineError {
  override name = 'WorkerCrashedError';
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

/** The GPU device was lost and the engine could neither recover nor fall back. */
export class DeviceLostError extends EngineError {
  override name = 'DeviceLostError';
}

/** A request's arguments are invalid (size, steps, prompt). */
export class InvalidRequestError extends EngineError {
  override name = 'InvalidRequestError';
}

/** An error in plain data, as it crosses the worker boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** For {@link EngineAbortedError}: the abort reason's message, when it had one. */
  readonly reason?: string;
}

/** Turns any thrown value into plain data that keeps name, message and stack. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const out: { -readonly [K in keyof SerializedError]: SerializedError[K] } = { name: error.name, message: error.message };
    if (error.stack) out.stack = error.stack;
    if (error instanceof EngineError && Object.keys(error.details).length > 0) out.details = structuredCloneSafe(error.details);
    if (error instanceof EngineAbortedError && error.reason !== undefined)
      out.reason = String(error.reason instanceof Error ? error.reason.message : error.reason);
    return out;
  }
  return { name: 'Error', message: String(error) };
}

function structuredCloneSafe(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

type Ctor = new (message: string) => EngineError;
const simple: Readonly<Record<string, Ctor>> = {
  EngineError,
  WorkerCrashedError,
  BackendUnavailableError,
  EngineNotLoadedError,
  ModelFormatError,
  DeviceLostError,
  InvalidRequestError,
};

/** Re-creates the exported error class named by `data.name` (or a plain {@link EngineError}), keeping its stack. */
export function deserializeError(data: SerializedError): EngineError {
  let error: EngineError;
  const d = data.details ?? {};
  if (data.name === 'EngineAbortedError') {
    error = new EngineAbortedError(data.reason === undefined ? undefined : new Error(data.reason));
    error.message = data.message;
  } else if (data.name === 'EngineTimeoutError') {
    error = new EngineTimeoutError(String(d.operation ?? 'operation'), Number(d.timeoutMs ?? 0));
    error.message = data.message;
  } else if (data.name === 'ModelTooLargeError') {
    error = new ModelTooLargeError(
      data.message,
      (d.backend as Backend | 'none' | undefined) ?? 'none',
      Number(d.neededBytes ?? 0),
      Number(d.limitBytes ?? 0),
      (d.fits as Backend[] | undefined) ?? [],
    );
  } else {
    const Known = simple[data.name];
    error = Known ? new Known(data.message) : new EngineError(data.message);
    if (!Known) error.name = data.name;
    Object.assign(error, { details: d });
  }
  if (data.stack) error.stack = data.stack;
  return error;
}
