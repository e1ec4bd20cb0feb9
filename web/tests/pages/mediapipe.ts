// MediaPipe's own selfie segmentation solution (the @mediapipe/selfie_segmentation npm package: its
// classic script, its WebAssembly graph runner and its .tflite), as `window.hgMediaPipe`, so a browser
// test can hold our converted model's mask against the library's own. The test serves the package's
// files under one base URL; nothing here reaches the network beyond it.

/** The part of the package's `SelfieSegmentation` class this page uses (its index.d.ts, plus `useCpuInference`). */
interface SelfieSegmentationLike {
  setOptions(options: { modelSelection?: number; selfieMode?: boolean; useCpuInference?: boolean }): void;
  initialize(): Promise<void>;
  onResults(listener: (results: { segmentationMask: CanvasImageSource & { width: number; height: number } }) => void): void;
  send(inputs: { image: HTMLImageElement }): Promise<void>;
  close(): Promise<void>;
}

type SelfieSegmentationClass = new (config: { locateFile: (file: string) => string }) => SelfieSegmentationLike;

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

async function imageOf(png: number[]): Promise<HTMLImageElement> {
  const image = new Image();
  image.src = URL.createObjectURL(new Blob([Uint8Array.from(png)], { type: 'image/png' }));
  await image.decode();
  return image;
}

/** The 8-bit values of one channel of a drawable, read through a 2D canvas. */
function channel(source: CanvasImageSource, width: number, height: number, index: number): number[] {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D;
  ctx.drawImage(source, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  return Array.from({ length: width * height }, (_, i) => rgba[i * 4 + index] ?? 0);
}

/**
 * Runs MediaPipe's solution once on `png` (general model, `modelSelection: 0`, no mirroring) and returns
 * its segmentation mask as 8-bit values. The mask comes back as a WebGL-drawn ImageBitmap whose red and
 * alpha channels both hold the probability; drawn into a canvas, red is un-premultiplied (255 wherever
 * alpha > 0), so the alpha channel is the one that carries the mask.
 */
async function selfieMask(base: string, png: number[], options: { useCpuInference: boolean }) {
  const global = window as unknown as { SelfieSegmentation?: SelfieSegmentationClass };
  if (!global.SelfieSegmentation) await loadScript(`${base}selfie_segmentation.js`);
  const SelfieSegmentation = global.SelfieSegmentation as SelfieSegmentationClass;
  const image = await imageOf(png);
  const solution = new SelfieSegmentation({ locateFile: (file) => `${base}${file}` });
  solution.setOptions({ modelSelection: 0, selfieMode: false, useCpuInference: options.useCpuInference });
  try {
    let started = performance.now();
    await solution.initialize();
    const initMs = performance.now() - started;
    started = performance.now();
    const result = new Promise<{ width: number; height: number; mask: number[] }>((resolve) =>
      solution.onResults(({ segmentationMask: m }) => resolve({ width: m.width, height: m.height, mask: channel(m, m.width, m.height, 3) })),
    );
    await solution.send({ image });
    const mask = await result;
    return { ...mask, initMs, sendMs: performance.now() - started };
  } finally {
    await solution.close();
    URL.revokeObjectURL(image.src);
  }
}

/**
 * Compares the alpha channel of a background-removed PNG with an 8-bit mask of the same size: mean and
 * max absolute difference (0-255), how many pixels differ, and the IoU of the two masks thresholded at 128.
 */
async function compareWithMask(png: number[], mask: number[]) {
  const image = await imageOf(png);
  const alpha = channel(image, image.naturalWidth, image.naturalHeight, 3);
  URL.revokeObjectURL(image.src);
  if (alpha.length !== mask.length) throw new RangeError(`sizes differ: ${alpha.length} != ${mask.length} pixels`);
  let sum = 0;
  let maxAbs = 0;
  let differing = 0;
  let both = 0;
  let either = 0;
  for (let i = 0; i < alpha.length; i++) {
    const a = alpha[i] ?? 0;
    const b = mask[i] ?? 0;
    const d = Math.abs(a - b);
    sum += d;
    maxAbs = Math.max(maxAbs, d);
    if (d > 0) differing++;
    if (a >= 128 && b >= 128) both++;
    if (a >= 128 || b >= 128) either++;
  }
  return { meanAbs: sum / alpha.length, maxAbs, differing, iou: either === 0 ? 1 : both / either, foreground: either };
}

const hgMediaPipe = { selfieMask, compareWithMask };
declare global {
  interface Window {
    hgMediaPipe: typeof hgMediaPipe;
  }
}
window.hgMediaPipe = hgMediaPipe;

export {};
