import { AllRoutesFailedError, describeError, NoRouteError, type RouteAttempt } from './errors.js';
import { decideRoute } from './policy.js';
import type { CloudRenderer, GenerateRequest, GenerateResult, ImageSource, LocalRenderer, RenderOutput, RenderRequest } from './types.js';

/** Options of {@link createRouter}. */
export interface RouterOptions {
  readonly local: LocalRenderer;
  readonly cloud: CloudRenderer;
  /** May a failed local draft be retried in the cloud? Default true. */
  readonly allowCloudFallback?: boolean;
  /** Picks a seed when the request has none. Default: a random 32-bit integer. */
  readonly randomSeed?: () => number;
  /** Called when reporting a local draft to the ledger fails (the image is still returned). */
  readonly onReportError?: (error: unknown) => void;
}

/** Routes each request to the local engine or the cloud, with fallback. */
export interface Router {
  /**
   * Makes an image where the policy says: drafts locally when a backend is
   * ready, finals in the cloud, falling back to the cloud when the local path
   * fails and the policy allows. The result says where it ran, why, how long
   * each stage took and what it cost. Rejects with {@link NoRouteError} when
   * no path exists, {@link AllRoutesFailedError} when every path failed, or
   * the signal's reason when aborted.
   */
  generate(request: GenerateRequest): Promise<GenerateResult>;
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}

/** Creates a {@link Router} over a local and a cloud renderer. */
export function createRouter(options: RouterOptions): Router {
  const allowCloudFallback = options.allowCloudFallback ?? true;
  const pickSeed = options.randomSeed ?? randomSeed;

  async function run(source: ImageSource, request: RenderRequest, generate: GenerateRequest): Promise<RenderOutput> {
    const renderer = source === 'local' ? options.local : options.cloud;
    const renderOptions = {
      ...(generate.signal ? { signal: generate.signal } : {}),
      ...(generate.onProgress ? { onProgress: generate.onProgress } : {}),
    };
    return renderer.render(request, renderOptions);
  }

  async function report(output: RenderOutput, avoided: number, durationMs: number): Promise<void> {
    try {
      await options.cloud.reportLocalDraft({
        model: output.model,
        engine: output.engine,
        width: output.width,
        height: output.height,
        // The renderer says how many steps it ran (its own plan: the router keeps none).
        steps: output.steps,
        avoidedCostUsd: avoided,
        durationMs,
      });
    } catch (error) {
      options.onReportError?.(error);
    }
  }

  return {
    async generate(generate) {
      generate.signal?.throwIfAborted();
      const decision = decideRoute({
        quality: generate.quality,
        mode: generate.mode,
        local: options.local.status(),
        cloud: options.cloud.status(),
        allowCloudFallback,
      });
      if (decision.kind === 'no-route') throw new NoRouteError(decision.reason, decision.code);
      const request: RenderRequest = {
        prompt: generate.prompt,
        seed: generate.seed ?? pickSeed(),
        width: generate.width,
        height: generate.height,
        settings: decision.settings,
        ...(generate.negativePrompt !== undefined ? { negativePrompt: generate.negativePrompt } : {}),
        ...(generate.initImage ? { initImage: generate.initImage } : {}),
        ...(generate.decoder ? { decoder: generate.decoder } : {}),
        ...(generate.strength !== undefined ? { strength: generate.strength } : {}),
      };
      const attempts: RouteAttempt[] = [];
      const route = [decision.primary, ...(decision.fallback ? [decision.fallback] : [])];
      for (const source of route) {
        const started = performance.now();
        try {
          const output = await run(source, request, generate);
          const first = attempts[0];
          const avoided = source === 'local' ? options.cloud.status().draftPriceUsd : 0;
          if (source === 'local' && generate.recordDraft !== false) await report(output, avoided, performance.now() - started);
          return {
            ...output,
            source,
            settings: decision.settings,
            routeCode: decision.code,
            routeReason: first ? `${first.source} failed (${describeError(first.error)}), so the ${source} made it` : decision.reason,
            fallback: first ? { from: first.source, reason: describeError(first.error) } : null,
            avoidedCostUsd: avoided,
          };
        } catch (error) {
          // The caller's abort ends the request whatever the renderer threw (the engine worker's
          // revived abort, a fetch's AbortError): it never starts a fallback.
          if (generate.signal?.aborted) throw generate.signal.reason;
          attempts.push({ source, error });
        }
      }
      throw new AllRoutesFailedError(attempts);
    },
  };
}
