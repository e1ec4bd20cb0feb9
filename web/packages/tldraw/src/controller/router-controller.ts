import type { GenerateRequest, GenerateResult, RouteMode, RouteProgress, Router } from '@hybridgen/core';
import type { Editor, TLAssetId, TLImageAsset, TLShapeId } from 'tldraw';
import { createImg2ImgActions } from '../img2img/actions.js';
import { IMAGE_GEN_SHAPE_TYPE, type ImageGenMode, type ImageGenShape } from '../shape/props.js';
import { assetBlob, storeImageAsset } from './assets.js';
import { formatProgress } from './progress-words.js';
import { createRunStore, type RunStatus } from './run-state.js';
import type { GenerateIntent, ImageGenController } from './types.js';
import { errorText, keptText, resultLabel, resultText, type WordsContext } from './words.js';

/** Options of {@link createRouterController}. */
export interface RouterControllerOptions {
  /** Routes each request to the local engine or the cloud. */
  readonly router: Router;
  /** Whether the local model is ready for live previews. */
  readonly isLocalReady: () => boolean;
  /** Whether the app reached its server (for words like "the server cannot be reached"). Default true. */
  readonly serverReachable?: () => boolean;
  /** The longest prompt the server accepts (`/api/config`'s `limits.max_prompt_chars`). */
  readonly maxPromptChars: number;
  /** Called with every finished generation, e.g. to refresh a cost panel. */
  readonly onResult?: (result: GenerateResult) => void;
  /** Called when a shape starts or stops waiting for the model download, e.g. so a model panel follows it. */
  readonly onPreparing?: (progress: RouteProgress | null) => void;
}

const ROUTE_MODE: Readonly<Record<ImageGenMode, RouteMode>> = { auto: 'auto', preview: 'local', hq: 'cloud' };
const PHASE_STATUS: Readonly<Record<RouteProgress['phase'], RunStatus>> = {
  downloading: 'downloading',
  loading: 'loading',
  queued: 'queued',
  generating: 'generating',
  uploading: 'generating',
};

/** Why a request stopped early: a newer one for the same shape replaced it, or the person cancelled. */
class Superseded extends DOMException {
  constructor() {
    super('superseded by a newer request', 'AbortError');
  }
}

/**
 * Keeps the result in the asset store ({@link storeImageAsset}), with prompt, seed, model, source,
 * cost and decoder in its meta. The document holds the asset's id, never the pixels.
 */
export function storeResult(editor: Editor, prompt: string, result: GenerateResult, signal: AbortSignal): Promise<TLImageAsset['id']> {
  return storeImageAsset(
    editor,
    {
      image: result.image,
      width: result.width,
      height: result.height,
      name: `hybridgen-${result.seed}.png`,
      meta: {
        prompt,
        seed: result.seed,
        model: result.model,
        engine: result.engine,
        source: result.source,
        costUsd: result.costUsd,
        avoidedCostUsd: result.avoidedCostUsd,
        // The decoder the engine reports it ran: a `tiny` one offers "Keep".
        ...(result.decoder ? { decoder: result.decoder } : {}),
      },
    },
    signal,
  );
}

function seedFor(shape: ImageGenShape, intent: GenerateIntent): number | undefined {
  if (shape.props.seed === null) return undefined;
  if (intent.nextSeed) return (shape.props.seed + 1) >>> 0;
  return intent.keepSeed || intent.keep ? shape.props.seed : undefined;
}

/** The prompt to run: for "Keep", the one the shown image was made from (the text may have changed since). */
function promptFor(editor: Editor, shape: ImageGenShape, intent: GenerateIntent): string {
  if (!intent.keep || !shape.props.assetId) return shape.props.prompt;
  const made = editor.getAsset(shape.props.assetId as TLAssetId)?.meta.prompt;
  return typeof made === 'string' ? made : shape.props.prompt;
}

/** What the router is asked for besides the prompt: "Keep" is a local re-decode with the full decoder, not a new draft. */
function routeFor(shape: ImageGenShape, intent: GenerateIntent): Pick<GenerateRequest, 'mode' | 'decoder' | 'recordDraft'> {
  if (intent.keep) return { mode: 'local', decoder: 'full', recordDraft: false };
  return { mode: intent.quality === 'final' && shape.props.mode === 'auto' ? 'auto' : ROUTE_MODE[shape.props.mode] };
}

/** What the functions of {@link createRouterController} share. */
interface ControllerState {
  readonly options: RouterControllerOptions;
  /** Each shape's request in flight. */
  readonly running: Map<TLShapeId, AbortController>;
  readonly runs: ReturnType<typeof createRunStore>;
  readonly words: () => WordsContext;
}

/** One run's wait for the model: whether it waited, and when the model was ready. */
interface PreparationWatch {
  preparedAt: number | null;
  waitedForModel: boolean;
}

/** The router's progress as the shape's run state, telling `onPreparing` when the model is prepared. */
function progressHandler(st: ControllerState, id: TLShapeId, signal: AbortSignal, watch: PreparationWatch): (p: RouteProgress) => void {
  let lastPercent = -1;
  return (p) => {
    if (signal.aborted) return;
    const preparing = p.phase === 'downloading' || p.phase === 'loading';
    if (preparing) {
      watch.waitedForModel = true;
      st.options.onPreparing?.(p);
    } else if (watch.waitedForModel && watch.preparedAt === null) {
      watch.preparedAt = performance.now();
      st.options.onPreparing?.(null);
    }
    const percent = Math.round((p.fraction ?? 0) * 100);
    if (percent === lastPercent && !p.stage) return;
    lastPercent = percent;
    st.runs.update(id, { status: PHASE_STATUS[p.phase], progress: Math.min(1, Math.max(0, p.fraction ?? 0)), text: formatProgress(p) });
  };
}

/** The run's state after a failure: cancelled (unless superseded) or the error in words. */
function recordFailure(st: ControllerState, editor: Editor, id: TLShapeId, signal: AbortSignal, error: unknown): void {
  if (signal.aborted) {
    // A newer request for this shape owns its state now; a person's Cancel says so.
    if (!(signal.reason instanceof Superseded)) {
      st.runs.set(id, {
        status: editor.getShape<ImageGenShape>(id)?.props.assetId ? 'done' : 'idle',
        progress: 0,
        text: 'Cancelled',
        error: null,
        preparation: null,
      });
    }
    return;
  }
  st.runs.set(id, { status: 'error', progress: 0, text: '', error: errorText(error, st.words()), preparation: null });
}

/** Generates for one shape, stores the image in it and keeps its run state current. */
async function runGeneration(st: ControllerState, editor: Editor, id: TLShapeId, intent: GenerateIntent, controller: AbortController): Promise<void> {
  const shape = editor.getShape<ImageGenShape>(id);
  if (!shape) return;
  const { options, runs } = st;
  const { signal } = controller;
  const started = performance.now();
  const watch: PreparationWatch = { preparedAt: null, waitedForModel: false };
  runs.set(id, { status: 'generating', progress: 0, text: 'Starting…', error: null, preparation: null });
  try {
    const initImage = intent.fromShownImage ? await assetBlob(editor, shape.props.assetId) : undefined;
    const seed = seedFor(shape, intent);
    const prompt = promptFor(editor, shape, intent);
    const result = await options.router.generate({
      prompt,
      negativePrompt: shape.props.negativePrompt,
      width: shape.props.imageWidth,
      height: shape.props.imageHeight,
      quality: intent.quality,
      ...routeFor(shape, intent),
      ...(seed !== undefined ? { seed } : {}),
      ...(initImage ? { initImage } : {}),
      signal,
      onProgress: progressHandler(st, id, signal, watch),
    });
    if (signal.aborted) return;
    const assetId = await storeResult(editor, prompt, result, signal);
    if (signal.aborted || !editor.getShape(id)) return;
    editor.updateShape<ImageGenShape>({
      id,
      type: IMAGE_GEN_SHAPE_TYPE,
      props: { assetId, seed: result.seed, source: result.source, quality: intent.quality, resultLabel: resultLabel(result), costUsd: result.costUsd },
    });
    const preparation =
      watch.preparedAt === null || result.source !== 'local'
        ? null
        : `The model was made ready first, in ${((watch.preparedAt - started) / 1000).toFixed(1)} s`;
    const text = intent.keep ? keptText(result) : resultText(result, st.words());
    runs.set(id, { status: 'done', progress: 1, text, error: null, preparation });
    options.onResult?.(result);
  } catch (error) {
    recordFailure(st, editor, id, signal, error);
  } finally {
    if (watch.waitedForModel && watch.preparedAt === null) options.onPreparing?.(null);
    if (st.running.get(id) === controller) st.running.delete(id);
  }
}

/**
 * An {@link ImageGenController} over `@hybridgen/core`'s router: it maps the
 * shape's mode to a route, keeps progress in its run store (read with
 * `useValue`), stores the result through tldraw's asset store and writes only
 * document data into the shape. Only the latest request per shape lands: a
 * replaced one stops without a word.
 */
export function createRouterController(options: RouterControllerOptions): ImageGenController {
  const st: ControllerState = {
    options,
    running: new Map<TLShapeId, AbortController>(),
    runs: createRunStore(),
    words: () => ({ serverReachable: options.serverReachable?.() ?? true }),
  };
  return {
    generate(editor, id, intent) {
      st.running.get(id)?.abort(new Superseded());
      const controller = new AbortController();
      st.running.set(id, controller);
      void runGeneration(st, editor, id, intent, controller);
    },
    cancel(id) {
      st.running.get(id)?.abort(new DOMException('cancelled by the user', 'AbortError'));
    },
    isLocalReady: options.isLocalReady,
    getRun: (id) => st.runs.get(id),
    img2img: createImg2ImgActions({ router: options.router, ...(options.onResult ? { onResult: options.onResult } : {}) }),
    maxPromptChars: options.maxPromptChars,
  };
}
