// Encodes RGBA pixels as PNG off the main thread (a 512 px PNG takes tens of milliseconds).
import { imageToPngBlob } from '../engine/image.js';
import type { PngRequest, PngResponse } from './png-encoder.js';

addEventListener('message', (event: MessageEvent<PngRequest>) => {
  const { id, width, height, rgba } = event.data;
  imageToPngBlob({ width, height, rgba }).then(
    (png) => postMessage({ id, png } satisfies PngResponse),
    (error: unknown) => postMessage({ id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) } satisfies PngResponse),
  );
});
