/** Runs tasks one at a time, in order; a task whose signal fired before its turn is skipped with its abort error. */

import { raceAbort, throwIfAborted } from '../../rpc/abort.js';

/** A FIFO of async tasks with AbortSignal support. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues `task`; rejects early (and skips it) when `signal` fires before it starts. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    throwIfAborted(signal);
    const result = this.tail.then(() => {
      throwIfAborted(signal);
      return task();
    });
    this.tail = result.catch(() => {});
    return raceAbort(result, signal);
  }
}
