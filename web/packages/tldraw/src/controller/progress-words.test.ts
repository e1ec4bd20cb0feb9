import type { ProgressStage } from '@hybridgen/core';
import { describe, expect, it } from 'vitest';
import { downloadProgressText, formatProgress, stageText } from './progress-words.js';

describe('progress words', () => {
  it.each<[ProgressStage, string]>([
    [{ kind: 'step', step: 1, of: 1 }, 'Step 1 of 1'],
    [{ kind: 'load', elapsedMs: 0 }, 'Preparing the model · 0 s'],
    [{ kind: 'load', elapsedMs: 4400 }, 'Preparing the model · 4 s'],
    [{ kind: 'derive', weights: 'int8', role: 'unet' }, 'Preparing int8 weights for this device (once): unet'],
    [{ kind: 'encode' }, 'Encoding the image'],
    [{ kind: 'decode' }, 'Decoding'],
    [{ kind: 'send', target: null }, 'sending to the cloud'],
    [{ kind: 'cloud-job', status: 'queued', target: 'a100' }, 'queued at a100'],
    [{ kind: 'cloud-job', status: 'running', target: 'a100' }, 'rendering on a100'],
    [{ kind: 'cloud-job', status: 'unconfirmed', target: 'a100' }, 'waiting for a100 to confirm the job'],
    [{ kind: 'cloud-job', status: 'unconfirmed', target: 'a100', notice: 'it may have run' }, 'it may have run'],
  ])('words %o', (stage, text) => {
    expect(stageText(stage)).toBe(text);
  });

  it('words a download as MB of MB, speed and time left', () => {
    const stage: ProgressStage = { kind: 'download', model: 'SD-Turbo', doneBytes: 812e6, totalBytes: 2.4e9, bytesPerSecond: 24e6, etaSeconds: 66 };
    expect(stageText(stage)).toBe(`Downloading SD-Turbo: ${downloadProgressText(812e6, 2.4e9, 24e6, 66)}`);
    expect(downloadProgressText(812e6, 2.4e9, 24e6, 66)).toMatch(/^[\d.]+ MB of [\d.]+ GB · [\d.]+ MB\/s · 1 min left$/);
    expect(downloadProgressText(1e6, 2e6, 0, null)).toMatch(/^[\d.]+ MB of [\d.]+ MB$/);
  });

  it('falls back to the phase when there is no stage', () => {
    expect(formatProgress({ source: 'cloud', phase: 'queued' })).toBe('queued');
    expect(formatProgress({ source: 'local', phase: 'generating', stage: { kind: 'step', step: 2, of: 4 } })).toBe('Step 2 of 4');
  });
});
