/** The background remover's worker RPC API (shared by the page and the worker). */

import { ImageTooLargeError, MAX_OUTPUT_SIDE, type UpscaleBackend } from './upscale-api.js';

/** One background removal: a picture in, the same picture with a transparent background out. */
export interface SegmentRequest {
  /** The picture, in any format the browser decodes. */
  readonly image: Blob;
  /** The segmenter's ONNX file (an OPFS File from the model store). */
  readonly model: Blob;
  /** A key naming the model file, so the worker keeps one session per key. */
  readonly modelKey: string;
  readonly backend: UpscaleBackend;
  /** The model's square input side (the picture is resized to it, the mask back). */
  readonly inputSize: number;
  /** The model's value range (1: RGB in [0, 1]). */
  readonly valueRange: number;
}

/** The result: a PNG with alpha = the source's alpha x the mask, at the source's size. */
export interface SegmentResult {
  readonly png: Blob;
  readonly width: number;
  readonly height: number;
  /** Milliseconds spent in the model. */
  readonly inferenceMs: number;
}

/** The background remover worker's operations. */
export type SegmentApi = {
  removeBackground: { request: SegmentRequest; result: SegmentResult };
};

/** The largest picture side the background remover takes (as the upscaler's output). */
export const MAX_SEGMENT_SIDE = MAX_OUTPUT_SIDE;

/** Error classes the worker may throw, for the RPC registry. */
export const SEGMENT_ERRORS = { ImageTooLargeError } as const;
