/**
 * Words for the progress core reports as data (`RouteProgress.stage`): the lines under a shape
 * and in the model panel, e.g. "Step 1 of 1" or "Preparing the model · 4 s".
 */

import { formatBytes, type ProgressStage, type RouteProgress } from '@hybridgen/core';

/** "812 MB of 2.4 GB · 24 MB/s · 1 min left", for a download in progress. */
export function downloadProgressText(done: number, total: number, bytesPerSecond: number, etaSeconds: number | null): string {
  const parts = [`${formatBytes(done)} of ${formatBytes(total)}`];
  if (bytesPerSecond > 0) parts.push(`${formatBytes(bytesPerSecond)}/s`);
  if (etaSeconds !== null && Number.isFinite(etaSeconds)) {
    parts.push(etaSeconds < 60 ? `${Math.max(1, Math.round(etaSeconds))} s left` : `${Math.round(etaSeconds / 60)} min left`);
  }
  return parts.join(' · ');
}

/** A cloud job's line: queued, running, or unconfirmed (the server's notice when it gave one). */
function cloudJobText(stage: Extract<ProgressStage, { kind: 'cloud-job' }>): string {
  if (stage.status === 'running') return `rendering on ${stage.target}`;
  if (stage.status === 'unconfirmed') return stage.notice ?? `waiting for ${stage.target} to confirm the job`;
  return `queued at ${stage.target}`;
}

/** The words for one stage. */
export function stageText(stage: ProgressStage): string {
  switch (stage.kind) {
    case 'download':
      return `Downloading ${stage.model}: ${downloadProgressText(stage.doneBytes, stage.totalBytes, stage.bytesPerSecond, stage.etaSeconds)}`;
    case 'derive':
      return `Preparing ${stage.weights} weights for this device (once): ${stage.role}`;
    case 'load':
      return `Preparing the model · ${Math.max(0, Math.round(stage.elapsedMs / 1000))} s`;
    case 'encode':
      return 'Encoding the image';
    case 'step':
      return `Step ${stage.step} of ${stage.of}`;
    case 'decode':
      return 'Decoding';
    case 'send':
      return `sending to ${stage.target ?? 'the cloud'}`;
    case 'cloud-job':
      return cloudJobText(stage);
  }
}

/** The line for a progress report: its stage in words, or its phase when it has none. */
export function formatProgress(progress: RouteProgress): string {
  return progress.stage ? stageText(progress.stage) : progress.phase;
}
