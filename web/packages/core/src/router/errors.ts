import type { RouteCode } from './policy.js';
import type { ImageSource } from './types.js';

/** No path can make the requested image (e.g. local mode without a local model). */
export class NoRouteError extends Error {
  override readonly name = 'NoRouteError';
  /** Why, as a code: `no-cloud-target` or `local-unavailable`. */
  readonly code: RouteCode;

  constructor(message: string, code: RouteCode) {
    super(message);
    this.code = code;
  }
}

/** One failed try of a route. */
export interface RouteAttempt {
  readonly source: ImageSource;
  readonly error: unknown;
}

/**
 * Every path tried failed. Like onnxruntime-web's backend resolution, the
 * message lists each attempt's error, and `attempts` keeps the originals.
 */
export class AllRoutesFailedError extends Error {
  override readonly name = 'AllRoutesFailedError';
  readonly attempts: readonly RouteAttempt[];

  constructor(attempts: readonly RouteAttempt[]) {
    const lines = attempts.map((a) => `${a.source}: ${describeError(a.error)}`);
    super(`image generation failed on every path:\n${lines.join('\n')}`, { cause: attempts.at(-1)?.error });
    this.attempts = attempts;
  }
}

/** `Name: message` for an unknown thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
