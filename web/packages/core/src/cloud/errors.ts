import type { JobView } from './wire.js';

/** A field the server rejected, and why. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** The server answered with an error. `code` is the server's error code. */
export class CloudApiError extends Error {
  override name = 'CloudApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly fields: readonly FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** 402: a spend cap would be passed; nothing was sent to the cloud. */
export class BudgetExceededError extends CloudApiError {
  override name = 'BudgetExceededError';
}

/** 429: too many requests; retry after `retryAfterMs`. */
export class RateLimitedError extends CloudApiError {
  override name = 'RateLimitedError';
  constructor(
    message: string,
    status: number,
    code: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message, status, code);
  }
}

/** 401: the server needs a bearer token for cloud renders. */
export class UnauthorizedError extends CloudApiError {
  override name = 'UnauthorizedError';
}

/** The cloud job ended FAILED, CANCELLED or TIMED_OUT. */
export class CloudJobError extends Error {
  override name = 'CloudJobError';
  constructor(readonly job: JobView) {
    super(`the cloud job ${job.id} ended ${job.status}${job.error ? `: ${job.error}` : ''}`);
  }
}

/** The server could not be reached (offline, connection refused). */
export class CloudUnreachableError extends Error {
  override name = 'CloudUnreachableError';
}
