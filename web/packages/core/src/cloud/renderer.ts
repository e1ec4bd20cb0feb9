import type { CloudRenderer, CloudStatus, LocalDraftReport, ProgressStage, RenderOptions, RenderOutput, RenderRequest } from '../router/types.js';
import { blobToDataUrl } from '../util/data-url.js';
import type { CloudClient } from './client.js';
import type { DraftReportBody, JobView, ServerConfig } from './wire.js';

/** Options of {@link createCloudRenderer}. */
export interface CloudRendererOptions {
  readonly client: CloudClient;
  /** The server's `/api/config`. */
  readonly config: ServerConfig;
  /** Identifies this browser in the ledger and for per-client budgets. */
  readonly clientId: string;
  /** The long side of High Quality renders in pixels. Default the server's `limits.default_side` (the cloud model's native size). */
  readonly hqLongSide?: number;
  /** Makes idempotency keys. Default `crypto.randomUUID`. */
  readonly newKey?: () => string;
  /** Sends local-draft reports; default `client.reportDraft`. Pass a draft queue's `report` (`createDraftQueue`) to keep offline drafts. */
  readonly reportDraft?: (body: DraftReportBody) => Promise<unknown>;
}

function roundTo(n: number, multiple: number): number {
  return Math.max(multiple, Math.round(n / multiple) * multiple);
}

/** The size to ask the cloud for: HQ scales the long side up to `hqLongSide`, keeping the aspect ratio. */
export function cloudSize(request: RenderRequest, config: ServerConfig, hqLongSide: number): { width: number; height: number } {
  const { min_side: min, max_side: max, side_multiple: multiple } = config.limits;
  const scale = request.settings === 'hq' ? hqLongSide / Math.max(request.width, request.height) : 1;
  const fit = (side: number) => Math.min(max, Math.max(min, roundTo(side * scale, multiple)));
  return { width: fit(request.width), height: fit(request.height) };
}

/**
 * The cloud half of the router over hybridgen's server: submits a job,
 * follows it (progress as queued/generating), cancels it on abort, and
 * returns the image with the job's real cost from the server's ledger.
 */
export function createCloudRenderer(options: CloudRendererOptions): CloudRenderer {
  const { client, config, clientId } = options;
  const newKey = options.newKey ?? (() => crypto.randomUUID());
  const hqLongSide = options.hqLongSide ?? config.limits.default_side;
  const target = config.cloud.default_target ?? null;
  const targetInfo = target ? config.targets[target] : undefined;
  let expectedMs: number | null = null;

  return {
    status(): CloudStatus {
      return {
        configured: config.cloud.configured,
        target,
        expectedMs,
        draftPriceUsd: targetInfo?.estimated_cost_usd ?? 0,
      };
    },

    async render(request: RenderRequest, { signal, onProgress }: RenderOptions): Promise<RenderOutput> {
      const started = performance.now();
      const size = cloudSize(request, config, hqLongSide);
      onProgress?.({ source: 'cloud', phase: 'uploading', fraction: 0, stage: { kind: 'send', target } });
      const job = await client.submitImage(
        {
          prompt: request.prompt,
          ...(request.negativePrompt ? { negative_prompt: request.negativePrompt } : {}),
          ...size,
          seed: request.seed,
          ...(request.initImage ? { init_image: await blobToDataUrl(request.initImage) } : {}),
          ...(request.initImage && request.strength !== undefined ? { strength: request.strength } : {}),
          client_id: clientId,
          idempotency_key: newKey(),
        },
        signal,
      );
      const done: JobView = await client.waitForJob(job.id, {
        ...(signal ? { signal } : {}),
        onUpdate: (j) => onProgress?.({ source: 'cloud', ...jobProgress(j) }),
      });
      if (!done.image) throw new Error(`the cloud job ${done.id} completed without an image`);
      const image = await (await fetch(done.image, signal ? { signal } : {})).blob();
      const total = performance.now() - started;
      expectedMs = expectedMs === null ? total : expectedMs * 0.7 + total * 0.3;
      return {
        image,
        width: done.width,
        height: done.height,
        seed: done.seed ?? request.seed,
        model: done.model,
        engine: done.target,
        steps: done.steps,
        timings: { queue: done.queue_seconds * 1000, execution: done.execution_seconds * 1000, total },
        costUsd: done.cost_usd,
      };
    },

    async reportLocalDraft(report: LocalDraftReport): Promise<void> {
      await (options.reportDraft ?? client.reportDraft)({
        client_id: clientId,
        idempotency_key: newKey(),
        width: report.width,
        height: report.height,
        steps: report.steps,
        model: report.model,
        ...(target ? { target } : {}),
        // Dated now, when it was made: a report queued offline reaches the ledger later.
        made_at: new Date().toISOString(),
      });
    },
  };
}

/**
 * Where a cloud job stands, for the progress line. An UNCONFIRMED job may have run in the cloud
 * (the server lost RunPod's answer): the server's notice says so and that it is not retried.
 */
export function jobProgress(j: JobView): { phase: 'generating' | 'queued'; fraction: number; stage: ProgressStage } {
  const stage = (status: 'queued' | 'running' | 'unconfirmed'): ProgressStage => ({
    kind: 'cloud-job',
    status,
    target: j.target,
    ...(status === 'unconfirmed' && j.error ? { notice: j.error } : {}),
  });
  if (j.status === 'IN_PROGRESS') return { phase: 'generating', fraction: 0.5, stage: stage('running') };
  return { phase: 'queued', fraction: 0.1, stage: stage(j.status === 'UNCONFIRMED' ? 'unconfirmed' : 'queued') };
}
