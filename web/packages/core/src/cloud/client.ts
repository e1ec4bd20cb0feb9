import { BudgetExceededError, CloudApiError, CloudJobError, CloudUnreachableError, type FieldProblem, RateLimitedError, UnauthorizedError } from './errors.js';
import {
  type AssetView,
  type DraftReportBody,
  type ErrorBody,
  FINAL_JOB_STATUSES,
  type ImageRequestBody,
  type JobView,
  type ServerConfig,
  type UsageReport,
} from './wire.js';

/** Options of {@link createCloudClient}. */
export interface CloudClientOptions {
  /** The hybridgen server's origin; default: the page's own (`''`). */
  readonly baseUrl?: string;
  /** A bearer token, when the server requires one for cloud renders. */
  readonly token?: string | (() => string | undefined);
  /** Default 500 ms, doubling up to `maxPollIntervalMs`. */
  readonly pollIntervalMs?: number;
  /** Default 2000 ms. */
  readonly maxPollIntervalMs?: number;
  /** Replaces `globalThis.fetch` (tests, Node). */
  readonly fetch?: typeof fetch;
}

/** Options of {@link CloudClient.waitForJob}. */
export interface WaitOptions {
  readonly signal?: AbortSignal;
  /** Called whenever the job's state changes. */
  readonly onUpdate?: (job: JobView) => void;
}

/** A typed client of hybridgen's server API. Never sees a cloud API key: the server holds it. */
export interface CloudClient {
  config(signal?: AbortSignal): Promise<ServerConfig>;
  usage(signal?: AbortSignal): Promise<UsageReport>;
  submitImage(body: ImageRequestBody, signal?: AbortSignal): Promise<JobView>;
  getJob(id: string, signal?: AbortSignal): Promise<JobView>;
  cancelJob(id: string): Promise<JobView>;
  /** Polls until the job is final; cancels it on the server when `signal` aborts. Rejects with {@link CloudJobError} unless COMPLETED. */
  waitForJob(id: string, options?: WaitOptions): Promise<JobView>;
  reportDraft(body: DraftReportBody, signal?: AbortSignal): Promise<JobView>;
  /**
   * Stores an image on the server under `sha256`, the hex SHA-256 of its bytes (`PUT
   * /api/assets/{sha256}`), so other browsers can show it. Rejects with {@link CloudApiError}
   * (`too_large`, `unsupported_media_type`, `invalid_request`) or {@link CloudUnreachableError}.
   */
  putAsset(sha256: string, image: Blob, signal?: AbortSignal): Promise<AssetView>;
  /** Where the server serves the image stored under `sha256`. */
  assetUrl(sha256: string): string;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function toError(response: Response): Promise<CloudApiError> {
  let code = 'http_error';
  let message = `${response.status} ${response.statusText}`;
  let fields: readonly FieldProblem[] = [];
  try {
    const body = (await response.json()) as ErrorBody;
    code = body.error.code;
    message = body.error.message;
    fields = body.error.fields ?? [];
  } catch {
    // Not our JSON error shape (a proxy's page, say): keep the status line.
  }
  if (fields.length) message = `${message} (${fields.map((f) => `${f.field}: ${f.message}`).join('; ')})`;
  switch (response.status) {
    case 401:
      return new UnauthorizedError(message, response.status, code);
    case 402:
      return new BudgetExceededError(message, response.status, code);
    case 429: {
      const retryAfter = Number(response.headers.get('Retry-After'));
      return new RateLimitedError(message, response.status, code, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null);
    }
    default:
      return new CloudApiError(message, response.status, code, fields);
  }
}

/** Creates a {@link CloudClient} for the hybridgen server at `baseUrl`. */
export function createCloudClient(options: CloudClientOptions = {}): CloudClient {
  const base = options.baseUrl ?? '';
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const firstPoll = options.pollIntervalMs ?? 500;
  const maxPoll = options.maxPollIntervalMs ?? 2000;

  /** One API call: a JSON body, or a Blob sent as it is (with its own type). */
  async function call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const raw = body instanceof Blob;
    if (body !== undefined) headers['Content-Type'] = raw ? body.type : 'application/json';
    const token = typeof options.token === 'function' ? options.token() : options.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: raw ? body : JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new CloudUnreachableError(
        `the hybridgen server at ${base || 'this origin'} cannot be reached: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
    if (!response.ok) throw await toError(response);
    return (await response.json()) as T;
  }

  const client: CloudClient = {
    config: (signal) => call('GET', '/api/config', undefined, signal),
    usage: (signal) => call('GET', '/api/usage', undefined, signal),
    submitImage: (body, signal) => call('POST', '/api/images', body, signal),
    getJob: (id, signal) => call('GET', `/api/images/${encodeURIComponent(id)}`, undefined, signal),
    cancelJob: (id) => call('POST', `/api/images/${encodeURIComponent(id)}/cancel`, {}),
    reportDraft: (body, signal) => call('POST', '/api/drafts', body, signal),
    putAsset: (sha256, image, signal) => call('PUT', `/api/assets/${encodeURIComponent(sha256)}`, image, signal),
    assetUrl: (sha256) => `${base}/api/assets/${encodeURIComponent(sha256)}`,
    async waitForJob(id, { signal, onUpdate } = {}) {
      let interval = firstPoll;
      let last: JobView | null = null;
      try {
        for (;;) {
          const job = await client.getJob(id, signal);
          if (job.status !== last?.status) onUpdate?.(job);
          last = job;
          if (FINAL_JOB_STATUSES.has(job.status)) {
            if (job.status !== 'COMPLETED') throw new CloudJobError(job);
            return job;
          }
          await sleep(interval, signal);
          interval = Math.min(maxPoll, interval * 2);
        }
      } catch (error) {
        if (signal?.aborted) {
          await client.cancelJob(id).catch(() => undefined);
          throw signal.reason;
        }
        throw error;
      }
    },
  };
  return client;
}
