// One tab downloads a model at a time (Web Locks); the others follow its
// progress over a BroadcastChannel and use the stored files afterwards.

import type { DownloadProgress } from './events.js';

/** The BroadcastChannel every store instance of the origin shares. */
export const PROGRESS_CHANNEL = 'hybridgen-model-store';

/** The Web Lock name guarding a model's folder. */
export function modelLockName(rootDirectory: string, modelId: string): string {
  return `hybridgen-model-store:${rootDirectory}:${modelId}`;
}

/**
 * Runs `task` holding the model's exclusive lock. When another tab holds it,
 * `onWaiting` is called first and the call waits (abortably) for the lock.
 */
export async function withModelLock<T>(
  name: string,
  options: { readonly signal?: AbortSignal | undefined; readonly onWaiting: () => void },
  task: () => Promise<T>,
): Promise<T> {
  const locks = navigator.locks;
  if (!locks) return task(); // no Web Locks (very old browsers): no cross-tab exclusion
  const immediate = await locks.request(name, { ifAvailable: true }, async (lock) => (lock ? { value: await task() } : null));
  if (immediate) return immediate.value;
  options.signal?.throwIfAborted();
  options.onWaiting();
  return locks.request(name, options.signal ? { signal: options.signal } : {}, () => task());
}

/** Follows the progress events another tab broadcasts for `modelId` until stopped. */
export function followOtherTabs(modelId: string, onEvent: (event: DownloadProgress) => void): () => void {
  const channel = new BroadcastChannel(PROGRESS_CHANNEL);
  channel.onmessage = (message: MessageEvent<DownloadProgress>) => {
    if (message.data?.modelId === modelId) onEvent({ ...message.data, fromOtherTab: true });
  };
  return () => channel.close();
}

/** Broadcasts this tab's progress events to the other tabs. */
export function progressBroadcaster(): { send(event: DownloadProgress): void; close(): void } {
  const channel = new BroadcastChannel(PROGRESS_CHANNEL);
  return { send: (event) => channel.postMessage(event), close: () => channel.close() };
}
