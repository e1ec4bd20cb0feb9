import { describe, expect, it } from 'vitest';
import type { RenderRequest } from '../router/types.js';
import { cloudSize, jobProgress } from './renderer.js';
import type { JobView, ServerConfig } from './wire.js';

const config = {
  limits: { min_side: 256, max_side: 2048, side_multiple: 8 },
} as ServerConfig;

const request = (width: number, height: number, settings: 'draft' | 'hq'): RenderRequest => ({ prompt: 'x', seed: 1, width, height, settings });

describe('cloudSize', () => {
  it.each([
    ['HQ scales a 512 square to SDXL size', request(512, 512, 'hq'), { width: 1024, height: 1024 }],
    ['HQ keeps the aspect ratio on multiples of 8', request(512, 384, 'hq'), { width: 1024, height: 768 }],
    ['HQ rounds odd ratios to multiples of 8', request(640, 360, 'hq'), { width: 1024, height: 576 }],
    ['drafts keep their size', request(512, 512, 'draft'), { width: 512, height: 512 }],
    ['tiny drafts are raised to the server minimum', request(64, 64, 'draft'), { width: 256, height: 256 }],
  ])('%s', (_name, req, expected) => {
    expect(cloudSize(req, config, 1024)).toEqual(expected);
  });
});

describe('jobProgress', () => {
  const job = (status: JobView['status'], error?: string) => ({ status, target: 'a100', ...(error ? { error } : {}) }) as JobView;

  it('passes on the server notice of an unconfirmed job instead of calling it queued', () => {
    const notice = 'the cloud may have run this job; it is not retried automatically';
    expect(jobProgress(job('UNCONFIRMED', notice))).toEqual({
      phase: 'queued',
      fraction: 0.1,
      stage: { kind: 'cloud-job', status: 'unconfirmed', target: 'a100', notice },
    });
    expect(jobProgress(job('UNCONFIRMED')).stage).toEqual({ kind: 'cloud-job', status: 'unconfirmed', target: 'a100' });
  });

  it('says queued or running for the other states', () => {
    expect(jobProgress(job('IN_QUEUE')).stage).toEqual({ kind: 'cloud-job', status: 'queued', target: 'a100' });
    expect(jobProgress(job('IN_PROGRESS'))).toEqual({ phase: 'generating', fraction: 0.5, stage: { kind: 'cloud-job', status: 'running', target: 'a100' } });
  });
});
