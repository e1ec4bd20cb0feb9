/** The result of a probe run under {@link settleWithin}. */
export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: 'timeout' | 'error'; readonly error?: unknown };

/**
 * Waits for `work` at most `ms` milliseconds. Never throws: a rejection or a
 * timeout becomes `{ ok: false }`. The timer is always cleared.
 */
export async function settleWithin<T>(work: () => Promise<T> | T, ms: number): Promise<Settled<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: 'timeout' }), ms);
  });
  const attempt = (async (): Promise<Settled<T>> => {
    try {
      return { ok: true, value: await work() };
    } catch (error) {
      return { ok: false, reason: 'error', error };
    }
  })();
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
