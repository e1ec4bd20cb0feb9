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

/** A route decision that found a route. */
type RouteFound = Exclude<ReturnType<typeof decideRoute>, { kind: 'no-route' }>;

/** What the functions of {@link createRouter} share: its options and their defaults. */
interface RouterState {
  readonly options: RouterOptions;
  readonly allowCloudFallback: boolean;
  readonly pickSeed: () => number;
}

/** Renders `request` on `source`'s renderer with the caller's signal and progress. */
async function renderOn(st: RouterState, source: ImageSource, request: RenderRequest, generate: GenerateRequest): Promise<RenderOutput> {
  const renderer = source === 'local' ? st.options.local : st.options.cloud;
  const renderOptions = {
    ...(generate.signal ? { signal: generate.signal } : {}),
    ...(generate.onProgress ? { onProgress: generate.onProgress } : {}),
  };
  return renderer.render(request, renderOptions);
}

/** Records a local draft in the ledger; a failure goes to `onReportError`, never to the caller. */
async function reportDraft(st: RouterState, output: RenderOutput, avoided: number, durationMs: number): Promise<void> {
  try {
    await st.options.cloud.reportLocalDraft({
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
    st.options.onReportError?.(error);
  }
}

/** The renderers' request: the caller's, a seed picked when none is given, the decision's settings. */
function renderRequest(st: RouterState, generate: GenerateRequest, decision: RouteFound): RenderRequest {
  return {
    prompt: generate.prompt,
    seed: generate.seed ?? st.pickSeed(),
    width: generate.width,
    height: generate.height,
    settings: decision.settings,
    ...(generate.negativePrompt !== undefined ? { negativePrompt: generate.negativePrompt } : {}),
    ...(generate.initImage ? { initImage: generate.initImage } : {}),
    ...(generate.decoder ? { decoder: generate.decoder } : {}),
    ...(generate.strength !== undefined ? { strength: generate.strength } : {}),
  };
}

/** Decides the route, then tries its primary and its fallback in turn. */
async function routeGenerate(st: RouterState, generate: GenerateRequest): Promise<GenerateResult> {
  const { options } = st;
  generate.signal?.throwIfAborted();
  const decision = decideRoute({
    quality: generate.quality,
    mode: generate.mode,
    local: options.local.status(),
    cloud: options.cloud.status(),
    allowCloudFallback: st.allowCloudFallback,
  });
  if (decision.kind === 'no-route') throw new NoRouteError(decision.reason, decision.code);
  const request = renderRequest(st, generate, decision);
  const attempts: RouteAttempt[] = [];
  const route = [decision.primary, ...(decision.fallback ? [decision.fallback] : [])];
  for (const source of route) {
    const started = performance.now();
    try {
      const output = await renderOn(st, source, request, generate);
      const first = attempts[0];
      const avoided = source === 'local' ? options.cloud.status().draftPriceUsd : 0;
      if (source === 'local' && generate.recordDraft !== false) await reportDraft(st, output, avoided, performance.now() - started);
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
}

/** Creates a {@link Router} over a local and a cloud renderer. */
export function createRouter(options: RouterOptions): Router {
  const st: RouterState = { options, allowCloudFallback: options.allowCloudFallback ?? true, pickSeed: options.randomSeed ?? randomSeed };
  return { generate: (generate) => routeGenerate(st, generate) };
}
