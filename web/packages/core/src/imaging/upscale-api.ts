/** The upscaler worker's RPC API and its errors (shared by the page and the worker). */

/** Where the upscaler runs its model. */
export type UpscaleBackend = 'webgpu' | 'wasm';

/** One upscaling job: a picture in, a PNG `scale` times larger out. */
export interface UpscaleRequest {
  /** The picture, in any format the browser decodes (PNG, JPEG, WebP...). */
  readonly image: Blob;
  /** The model's ONNX file for this scale (an OPFS File from the model store). */
  readonly model: Blob;
  /** A key naming the model file, so the worker keeps one session per key. */
  readonly modelKey: string;
  readonly scale: number;
  readonly backend: UpscaleBackend;
  /** Tile core size in input pixels: what bounds memory. */
  readonly tileSize: number;
  /** Context read around each tile (the model's receptive field). */
  readonly tilePadding: number;
  /** The model's value range (255: RGB in [0, 255]). */
  readonly valueRange: number;
}

/** The result: a PNG with alpha (the source's, nearest-upscaled). */
export interface UpscaleResult {
  readonly png: Blob;
  readonly width: number;
  readonly height: number;
  /** Milliseconds spent in the model (all tiles). */
  readonly inferenceMs: number;
}

/** Tiles done so far. */
export interface UpscaleProgress {
  readonly tilesDone: number;
  readonly tilesTotal: number;
}

/** The upscaler worker's operations. */
export type UpscaleApi = {
  upscale: { request: UpscaleRequest; result: UpscaleResult; progress: UpscaleProgress };
};

/** The picture is larger than the upscaler takes (its output would not fit a canvas). */
export class ImageTooLargeError extends Error {
  override readonly name = 'ImageTooLargeError';
  readonly width: number;
  readonly height: number;
  readonly maxOutputSide: number;
  constructor(width: number, height: number, maxOutputSide: number) {
    super(`a ${width}x${height} picture upscaled would exceed ${maxOutputSide} px a side`);
    this.width = width;
    this.height = height;
    this.maxOutputSide = maxOutputSide;
  }
}

/** The largest output side (Chromium's canvas limit is 16384; 8192 keeps the RGBA buffer at 256 MiB). */
export const MAX_OUTPUT_SIDE = 8192;

/** Error classes the worker may throw, for the RPC registry. */
export const UPSCALE_ERRORS = { ImageTooLargeError } as const;
