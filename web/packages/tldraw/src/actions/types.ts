import type { SegmentOptions, SegmentResult, UpscaleOptions, UpscaleResult } from '@hybridgen/core';
import type { Editor, TLShapeId } from 'tldraw';

/** What an image action run is doing; run state only, never in the document. */
export type ImageActionStatus = 'running' | 'done' | 'error' | 'cancelled';

/** The latest action on one source shape. */
export interface ImageActionRun {
  readonly status: ImageActionStatus;
  /** e.g. "Upscale 2x". */
  readonly label: string;
  /** 0..1 while running. */
  readonly progress: number;
  /** Words for people: progress, or how the result was made. */
  readonly text: string;
  /** What went wrong, in words, when `status` is `error`. */
  readonly error: string | null;
  /** The new shape, once done. */
  readonly resultShapeId: TLShapeId | null;
}

/** A local edit, for the ledger: recorded at $0 with what the cloud would have charged. */
export interface LocalEditRecord {
  readonly task: 'upscale' | 'remove-background';
  /** The model that made it, e.g. `esrgan-slim`. */
  readonly model: string;
  /** The output's size. */
  readonly width: number;
  readonly height: number;
}

/** The part of `@hybridgen/core`'s `Upscaler` the actions use. */
export interface UpscalerLike {
  readonly scales: readonly number[];
  upscale(image: Blob, options: UpscaleOptions): Promise<UpscaleResult>;
}

/** The part of `@hybridgen/core`'s `Segmenter` the actions use. */
export interface SegmenterLike {
  removeBackground(image: Blob, options?: SegmentOptions): Promise<SegmentResult>;
}

/**
 * Runs on-device actions on image shapes (tldraw `image` shapes and image-generation shapes with
 * an image). Each result is a new `image` shape beside its source, its file in the asset store,
 * linked to the source in `meta.hybridgen`. The app provides one through
 * {@link ImageActionsProvider}; menus and panels only call it.
 */
export interface ImageActionController {
  /** The scales the upscaler offers, e.g. [2, 4]. */
  readonly upscaleScales: readonly number[];
  /** Upscales the shape's image; a running action on the same shape is replaced. */
  upscale(editor: Editor, sourceId: TLShapeId, scale: number): void;
  /** Whether a background remover is configured (the "Remove background" action shows). */
  readonly canRemoveBackground: boolean;
  /** Makes the shape's image background transparent into a new shape; a running action on the same shape is replaced. */
  removeBackground(editor: Editor, sourceId: TLShapeId): void;
  /** Cancels the shape's running action, if any. */
  cancel(sourceId: TLShapeId): void;
  /** Every source shape's latest run. Reactive: read it inside `useValue`. */
  runs(): ReadonlyMap<TLShapeId, ImageActionRun>;
}

/** What `meta.hybridgen` of an action's result holds. */
export interface ImageActionMeta {
  readonly sourceShapeId: TLShapeId;
  readonly action: 'upscale' | 'remove-background';
  readonly scale?: number;
  readonly model: string;
}
