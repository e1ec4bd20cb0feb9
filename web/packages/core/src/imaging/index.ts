/** `imaging/`: on-device image-to-image actions (upscaling, background removal), each in a worker (see CONTEXT.md). */

export type { SegmentApi, SegmentRequest, SegmentResult } from './segment-api.js';
export { MAX_SEGMENT_SIDE } from './segment-api.js';
export { type ServeSegmenterOptions, serveSegmenter } from './segment-worker.js';
export { createSegmenter, NoSegmenterFileError, type Segmenter, type SegmenterOptions, type SegmentOptions, type SegmentStep } from './segmenter.js';
export { planTiles, type Rect, type Tile } from './tiles.js';
export type { UpscaleApi, UpscaleBackend, UpscaleProgress, UpscaleRequest, UpscaleResult } from './upscale-api.js';
export { ImageTooLargeError, MAX_OUTPUT_SIDE } from './upscale-api.js';
export { type ServeUpscalerOptions, serveUpscaler } from './upscale-worker.js';
export { createUpscaler, UnsupportedScaleError, type UpscaleOptions, type Upscaler, type UpscalerOptions, type UpscaleStep } from './upscaler.js';
