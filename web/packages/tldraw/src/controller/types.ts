import type { Editor, TLShapeId } from 'tldraw';

/** What the shape's buttons ask for. */
export interface GenerateIntent {
  /** `draft` for Generate in Auto/Quick Preview, `final` for High Quality and "Render in HQ". */
  readonly quality: 'draft' | 'final';
  /** Keep the seed of the shown image (Render in HQ, Retry) instead of drawing a new one. */
  readonly keepSeed?: boolean;
  /** Start from the shown image (img2img) so a final keeps the draft's composition. */
  readonly fromShownImage?: boolean;
}

/**
 * Runs generations for image shapes and writes their progress and results
 * back into the shapes. The app provides one through
 * {@link ImageGenControllerProvider}; the shape's UI only calls it.
 */
export interface ImageGenController {
  /** Starts a generation for the shape; a running one for the same shape is cancelled first. */
  generate(editor: Editor, shapeId: TLShapeId, intent: GenerateIntent): void;
  /** Cancels the shape's running generation, if any. */
  cancel(shapeId: TLShapeId): void;
  /** Whether the local model is ready, so typing may trigger live previews. */
  isLocalReady(): boolean;
}
