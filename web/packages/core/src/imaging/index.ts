/** `imaging/`: on-device image-to-image actions (upscaling), each in a worker (see CONTEXT.md). */

export { planTiles, type Rect, type Tile } from './tiles.js';
export type { UpscaleApi, UpscaleBackend, UpscaleProgress, UpscaleRequest, UpscaleResult } from './upscale-api.js';
export { ImageTooLargeError, MAX_OUTPUT_SIDE } from './upscale-api.js';
export { type ServeUpscalerOptions, serveUpscaler } from './upscale-worker.js';
export { createUpscaler, UnsupportedScaleError, type UpscaleOptions, type Upscaler, type UpscalerOptions, type UpscaleStep } from './upscaler.js';
