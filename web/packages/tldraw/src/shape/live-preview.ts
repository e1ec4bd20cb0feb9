import { useEffect, useRef } from 'react';
import type { Editor, TLShapeId } from 'tldraw';
import type { ImageGenController } from '../controller/types.js';
import type { ImageGenMode } from './props.js';

/** Milliseconds of quiet typing before a live preview starts. */
export const LIVE_PREVIEW_DEBOUNCE_MS = 500;

/**
 * Live preview: in Quick Preview with the model ready, a pause in typing starts a draft; the
 * controller drops any older one without a word, so only the latest prompt's image lands.
 */
export function useLivePreview(editor: Editor, controller: ImageGenController | null, shapeId: TLShapeId, prompt: string, mode: ImageGenMode): void {
  const lastPrompt = useRef(prompt);
  useEffect(() => {
    if (lastPrompt.current === prompt) return;
    lastPrompt.current = prompt;
    if (mode !== 'preview' || !prompt.trim() || !controller?.isLocalReady()) return;
    const timer = setTimeout(() => controller.generate(editor, shapeId, { quality: 'draft', keepSeed: true, live: true }), LIVE_PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [prompt, mode, controller, editor, shapeId]);
}
