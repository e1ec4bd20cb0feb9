import { formatBytes } from '../util/bytes.js';

/** "812 MB of 2.4 GB · 24 MB/s · 1 min left", for a download in progress. */
export function downloadProgressText(done: number, total: number, bytesPerSecond: number, etaSeconds: number | null): string {
  const parts = [`${formatBytes(done)} of ${formatBytes(total)}`];
  if (bytesPerSecond > 0) parts.push(`${formatBytes(bytesPerSecond)}/s`);
  if (etaSeconds !== null && Number.isFinite(etaSeconds)) {
    parts.push(etaSeconds < 60 ? `${Math.max(1, Math.round(etaSeconds))} s left` : `${Math.round(etaSeconds / 60)} min left`);
  }
  return parts.join(' · ');
}
