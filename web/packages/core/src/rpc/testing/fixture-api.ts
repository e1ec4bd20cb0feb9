// The API of the rpc tests' worker (fixture.worker.ts), shared by both sides.

/** An error class of the fixture, registered on both sides. */
export class FixtureError extends Error {
  override name = 'FixtureError';
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the fixture worker serves. */
export type FixtureApi = {
  echo: { request: { readonly text: string }; result: { readonly text: string; readonly id: string } };
  count: { request: { readonly n: number }; result: number; progress: number };
  /** Waits until cancelled, then rejects with the reason it received. */
  wait: { request: Record<string, never>; result: never };
  /** The name and message of the last cancel reason the worker saw. */
  lastCancel: { request: Record<string, never>; result: { readonly name: string; readonly message: string } | null };
  fail: { request: Record<string, never>; result: never };
  /** Sums a transferred buffer's bytes; answers with a new buffer, transferred back. */
  sum: { request: { readonly buffer: ArrayBuffer }; result: { readonly sum: number; readonly buffer: ArrayBuffer } };
  /** Throws outside any call: the worker dies. */
  crash: { request: Record<string, never>; result: never };
  /** Sends progress every `everyMs` for `times` times, then answers. */
  tick: { request: { readonly everyMs: number; readonly times: number }; result: number; progress: number };
};
