/**
 * Image similarity for tests and benchmarks: PSNR over RGB and SSIM over
 * luma (8x8 windows, stride 4, the usual constants for 8-bit images).
 */

/** PSNR in dB of two RGBA images over the RGB channels (Infinity when identical). */
export function psnrRgba(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`image sizes differ: ${a.length} != ${b.length}`);
  let se = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (i % 4 === 3) continue;
    const d = (a[i] as number) - (b[i] as number);
    se += d * d;
    n++;
  }
  return se === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / (se / n));
}

/** Largest per-channel difference (0..255) of two RGBA images, alpha ignored. */
export function maxChannelDiff(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

function luma(rgba: Uint8Array): Float64Array {
  const out = new Float64Array(rgba.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = 0.299 * (rgba[4 * i] as number) + 0.587 * (rgba[4 * i + 1] as number) + 0.114 * (rgba[4 * i + 2] as number);
  return out;
}

/** Mean SSIM of two RGBA images of `width` x `height` on luma, 8x8 windows with stride 4. */
export function ssimRgba(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  const x = luma(a);
  const y = luma(b);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  const win = 8;
  let sum = 0;
  let count = 0;
  for (let top = 0; top + win <= height; top += 4) {
    for (let left = 0; left + win <= width; left += 4) {
      let mx = 0;
      let my = 0;
      for (let r = 0; r < win; r++)
        for (let c = 0; c < win; c++) {
          mx += x[(top + r) * width + left + c] as number;
          my += y[(top + r) * width + left + c] as number;
        }
      const n = win * win;
      mx /= n;
      my /= n;
      let vx = 0;
      let vy = 0;
      let cov = 0;
      for (let r = 0; r < win; r++)
        for (let c = 0; c < win; c++) {
          const dx = (x[(top + r) * width + left + c] as number) - mx;
          const dy = (y[(top + r) * width + left + c] as number) - my;
          vx += dx * dx;
          vy += dy * dy;
          cov += dx * dy;
        }
      vx /= n - 1;
      vy /= n - 1;
      cov /= n - 1;
      sum += ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      count++;
    }
  }
  return sum / count;
}
