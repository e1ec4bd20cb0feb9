/**
 * The one error serialisation of hybridgen: every error that crosses a
 * worker (or BroadcastChannel) boundary goes through {@link serializeError}
 * and comes back through {@link reviveError} as the same class, found by its
 * `name` in a registry that each error family fills with
 * {@link registerErrors}. Name, message, stack, `cause` (recursively) and
 * the error's own data fields (`details`, `neededBytes`, ...) are kept.
 */

/** An error as plain, structured-clonable data. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** The error's `cause`, serialised the same way (errors) or as is (clonable data). */
  readonly cause?: SerializedError | { readonly value: unknown };
  /** The error's own enumerable fields (clonable values only), such as `details` or `neededBytes`. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The error was a `DOMException` (AbortError, TimeoutError, ...): it revives as one. */
  readonly dom?: true;
}

/** An error class the registry can revive: any `Error` subclass, whatever its constructor takes. */
// biome-ignore lint/suspicious/noExplicitAny: constructors of any shape are registered; none is called.
export type ErrorClass = abstract new (...args: any[]) => Error;

const registry = new Map<string, ErrorClass>();

/**
 * Makes `classes` revivable by their `name` (the name each instance carries,
 * e.g. `QuotaError`). Call it where a family's errors may cross a boundary:
 * an rpc client or server does so for the classes it is given. Registering
 * the same class twice is harmless; two classes under one name is a bug.
 */
export function registerErrors(classes: Readonly<Record<string, ErrorClass>>): void {
  for (const [name, cls] of Object.entries(classes)) {
    const known = registry.get(name);
    if (known && known !== cls) throw new Error(`registerErrors: two error classes are named ${name}`);
    registry.set(name, cls);
  }
}

const SKIPPED = new Set(['name', 'message', 'stack', 'cause']);

function clonable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function isErrorLike(value: unknown): value is Error {
  return value instanceof Error || (typeof DOMException !== 'undefined' && value instanceof DOMException);
}

/** Turns any thrown value into plain data that keeps class name, message, stack, cause and fields. */
export function serializeError(error: unknown): SerializedError {
  if (!isErrorLike(error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) if (!SKIPPED.has(key) && clonable(value)) fields[key] = value;
  const out: { -readonly [K in keyof SerializedError]: SerializedError[K] } = { name: error.name, message: error.message, fields };
  if (error.stack) out.stack = error.stack;
  if (typeof DOMException !== 'undefined' && error instanceof DOMException) out.dom = true;
  const { cause } = error as { cause?: unknown };
  if (cause !== undefined) out.cause = isErrorLike(cause) ? serializeError(cause) : clonable(cause) ? { value: cause } : { value: String(cause) };
  return out;
}

function reviveCause(cause: NonNullable<SerializedError['cause']>): unknown {
  return 'value' in cause ? cause.value : reviveError(cause);
}

/**
 * Rebuilds the error {@link serializeError} described: an instance of the
 * registered class of that name (its constructor is not run: its fields come
 * from the data), a `DOMException` for one, else a plain `Error` bearing the
 * name.
 */
export function reviveError(data: SerializedError): Error {
  let error: Error;
  if (data.dom && typeof DOMException !== 'undefined' && !registry.has(data.name)) error = new DOMException(data.message, data.name);
  else {
    const cls = registry.get(data.name);
    error = cls ? (Object.create(cls.prototype) as Error) : new Error(data.message);
    const define = (key: string, value: unknown, enumerable = false): void => {
      Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable });
    };
    define('message', data.message);
    define('name', data.name, cls !== undefined);
    for (const [key, value] of Object.entries(data.fields)) define(key, value, true);
    if (data.cause !== undefined) define('cause', reviveCause(data.cause));
  }
  Object.defineProperty(error, 'stack', { value: data.stack ?? `${data.name}: ${data.message}`, writable: true, configurable: true });
  return error;
}

/** A worker died (uncaught error, a message it could not read, terminated): its pending calls reject with this. */
export class WorkerCrashedError extends Error {
  override name = 'WorkerCrashedError';
}

/** A call did not finish within its time limit (total, or without a message from the worker). */
export class CallTimeoutError extends Error {
  override name = 'CallTimeoutError';
  /** The operation that overran. */
  readonly operation: string;
  /** The limit it overran, in milliseconds. */
  readonly timeoutMs: number;
  constructor(operation: string, timeoutMs: number, what = 'did not finish') {
    super(`${operation} ${what} within ${timeoutMs} ms`);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

registerErrors({ WorkerCrashedError, CallTimeoutError });
