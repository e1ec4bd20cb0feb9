import type { Editor, TLShapeId } from 'tldraw';
import type { Img2ImgActions } from '../img2img/actions.js';
import type { ShapeRun } from './run-state.js';

/** What the shape's buttons ask for. */
export interface GenerateIntent {
  /** `draft` for Generate in Auto/Quick Preview, `final` for High Quality and "Render in HQ". */
  readonly quality: 'draft' | 'final';
  /** Keep the seed of the shown image (Render in HQ, Retry) instead of drawing a new one. */
  readonly keepSeed?: boolean;
  /** Use the shown image's seed plus one: a variation of the same prompt. */
  readonly nextSeed?: boolean;
  /** Start from the shown image (img2img) so a final keeps the draft's composition. */
  readonly fromShownImage?: boolean;
  /** A live preview started by typing: a newer one replaces it without a word. */
  readonly live?: boolean;
  /**
   * "Keep": decode the shown Quick Preview draft again with the full VAE decoder on this device
   * (its prompt and seed, so the same latents; the draft used the tiny decoder) and replace it.
   */
  readonly keep?: boolean;
}

/**
 * Runs generations for image shapes. Results land in the shapes' props (the
 * document); progress and status live here, in a reactive store the shape
 * reads with `useValue`, so a progress tick is never a document change. The
 * app provides one through {@link ImageGenControllerProvider}; the shape's UI
 * only calls it.
 */
export interface ImageGenController {
  /** Starts a generation for the shape; a running one for the same shape is replaced. */
  generate(editor: Editor, shapeId: TLShapeId, intent: GenerateIntent): void;
  /** Cancels the shape's running generation, if any. */
  cancel(shapeId: TLShapeId): void;
  /** Whether the local model is ready, so typing may trigger live previews. */
  isLocalReady(): boolean;
  /** The shape's run state, or `undefined` before its first generation. Reactive: read it inside `useValue`. */
  getRun(shapeId: TLShapeId): ShapeRun | undefined;
  /** The longest prompt the server accepts, in characters. */
  readonly maxPromptChars: number;
  /** Image-to-image on the canvas (Refine, Style, the Sketch lens), when the controller offers it. */
  readonly img2img?: Img2ImgActions;
}
