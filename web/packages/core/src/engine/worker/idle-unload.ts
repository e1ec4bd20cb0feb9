/** Unloads an engine after the tab has been hidden for a while; the next `generate` reloads it. */

import type { LocalEngine } from '../types.js';

/** What {@link unloadWhenHidden} watches (a `Document` by default). */
export interface VisibilitySource {
  readonly visibilityState: DocumentVisibilityState;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/** Options of {@link unloadWhenHidden}. */
export interface IdleUnloadOptions {
  /** Milliseconds the tab must stay hidden before the engine unloads. */
  readonly hiddenMs: number;
  /** Default: `document`. */
  readonly source?: VisibilitySource;
  /** Told after each idle unload (or its failure). */
  readonly onUnload?: (result: { releasedSessions: number } | { error: unknown }) => void;
}

/** Starts watching; returns a function that stops it. */
export function unloadWhenHidden(engine: Pick<LocalEngine, 'unload'>, options: IdleUnloadOptions): () => void {
  const source = options.source ?? (globalThis.document as VisibilitySource | undefined);
  if (!source) throw new Error('unloadWhenHidden needs a document (or a visibility source)');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onChange = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (source.visibilityState !== 'hidden') return;
    timer = setTimeout(() => {
      timer = undefined;
      engine.unload().then(
        (r) => options.onUnload?.(r),
        (error: unknown) => options.onUnload?.({ error }),
      );
    }, options.hiddenMs);
  };
  source.addEventListener('visibilitychange', onChange);
  onChange();
  return () => {
    clearTimeout(timer);
    source.removeEventListener('visibilitychange', onChange);
  };
}
