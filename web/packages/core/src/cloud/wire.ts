/**
 * The JSON shapes of hybridgen's server API (`internal/api` in Go), as sent
 * on the wire. Field names follow the server: snake_case.
 */

/**
 * Job states: RunPod's, plus SUBMITTING while the server waits for RunPod's answer (PENDING in
 * older ledgers) and UNCONFIRMED when the submission may have reached RunPod without an answer:
 * the cloud may have run it, it is never retried automatically, and it counts at its worst case
 * until RunPod reports it (then it ends like any job) or its ttl passes (then it is charged its
 * estimate, marked `estimated`).
 */
export type JobStatus = 'PENDING' | 'SUBMITTING' | 'UNCONFIRMED' | 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';

/** States after which a job never changes. */
export const FINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

/** A job as `/api/images` and `/api/drafts` return it. */
export interface JobView {
  readonly id: string;
  readonly kind: 'cloud' | 'local';
  /** What the job made: an image from a prompt, or an edit made on the device. Absent from older servers. */
  readonly task?: LocalTask;
  readonly status: JobStatus;
  readonly settled: boolean;
  readonly target: string;
  readonly model: string;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  readonly created_at: string;
  readonly updated_at: string;
  readonly queue_seconds: number;
  readonly execution_seconds: number;
  readonly cost_usd: number;
  readonly estimated_cost_usd: number;
  readonly avoided_cost_usd: number;
  /** A data URI or URL once COMPLETED. */
  readonly image?: string;
  readonly seed?: number;
  readonly error?: string;
}

/** The body of `POST /api/images`. */
export interface ImageRequestBody {
  readonly prompt: string;
  readonly negative_prompt?: string;
  readonly width?: number;
  readonly height?: number;
  readonly steps?: number;
  readonly guidance?: number;
  readonly seed?: number;
  /** A `data:image/png;base64,...` URI for img2img. */
  readonly init_image?: string;
  readonly strength?: number;
  readonly target?: string;
  readonly client_id: string;
  readonly idempotency_key: string;
}

/** What work done in the browser made: a draft, or an edit of an image. */
export type LocalTask = 'generate' | 'upscale' | 'remove-background';

/**
 * The body of `POST /api/drafts`: a draft made in the browser, or an edit of an image (`task`),
 * whose `width` and `height` are the output's.
 */
export interface DraftReportBody {
  readonly client_id: string;
  readonly idempotency_key: string;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  readonly model: string;
  readonly target?: string;
  /** Default `generate` (a draft). */
  readonly task?: LocalTask;
  /**
   * When the draft was made (RFC 3339, e.g. `new Date().toISOString()`): a draft made offline is
   * reported later and the ledger dates it by this. The server refuses one more than 30 days old
   * or more than 5 minutes ahead of its clock (`invalid_request` on `made_at`).
   */
  readonly made_at?: string;
}

/** The answer of `PUT /api/assets/{sha256}`: the image is stored on the server. */
export interface AssetView {
  readonly sha256: string;
  /** Where the server serves it, e.g. `/api/assets/<sha256>`. */
  readonly url: string;
  readonly content_type: string;
}

/** `GET /api/config`. */
export interface ServerConfig {
  readonly cloud: { readonly configured: boolean; readonly default_target?: string; readonly message?: string };
  readonly targets: Readonly<Record<string, { readonly model: string; readonly price_per_second_usd: number; readonly estimated_cost_usd: number }>>;
  readonly limits: {
    readonly max_prompt_chars: number;
    readonly min_side: number;
    readonly max_side: number;
    /** The side a render gets when its request names none: the cloud model's native size (1024 for SDXL). */
    readonly default_side: number;
    readonly side_multiple: number;
    readonly min_steps: number;
    readonly max_steps: number;
    readonly max_guidance: number;
    readonly max_init_image_bytes: number;
    readonly max_body_bytes: number;
    /** The largest image `PUT /api/assets/` takes; 0 or absent when the server keeps none. */
    readonly max_asset_bytes?: number;
  };
  readonly auth: { readonly token_required: boolean };
  /**
   * The model the app opens when the page names none: `sd-turbo` when the mirror holds it, else
   * the built-in demo model (`demo: true`, random weights). Absent from older servers.
   */
  readonly models?: { readonly default: string; readonly demo: boolean };
}

/** One row of `GET /api/usage`. */
export interface UsageRow {
  readonly key: string;
  readonly cloud_jobs: number;
  readonly cloud_failed: number;
  readonly in_flight: number;
  readonly local_drafts: number;
  /** Upscales made on the device (absent from older servers). */
  readonly local_upscales?: number;
  /** Background removals made on the device (absent from older servers). */
  readonly local_background_removals?: number;
  readonly execution_seconds: number;
  readonly cost_usd: number;
  readonly in_flight_cost_usd: number;
  /** Jobs that may have run on the cloud without RunPod saying so (not in `cost_usd`). */
  readonly unconfirmed: number;
  /** Their worst case (execution timeout × price), counted against budgets until reconciled. */
  readonly unconfirmed_cost_usd: number;
  /** Jobs charged at their estimate because RunPod never reported them. */
  readonly estimated_jobs: number;
  /** That part of `cost_usd`. */
  readonly estimated_cost_usd: number;
  readonly avoided_usd: number;
  readonly all_cloud_usd: number;
  readonly savings_usd: number;
  readonly savings_ratio: number;
}

/** `GET /api/usage`. */
export interface UsageReport {
  readonly since: string;
  readonly until: string;
  readonly total: UsageRow;
  readonly by_target: readonly UsageRow[];
  readonly by_day: readonly UsageRow[];
}

/** Every error answer: `{"error":{"code","message","fields"}}`. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly fields?: readonly { readonly field: string; readonly message: string }[] };
}
