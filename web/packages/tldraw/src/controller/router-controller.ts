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

/**
 * An {@link ImageGenController} over `@hybridgen/core`'s router: it maps the
 * shape's mode to a route, keeps progress in its run store (read with
 * `useValue`), stores the result through tldraw's asset store and writes only
 * document data into the shape. Only the latest request per shape lands: a
 * replaced one stops without a word.
 */
export function createRouterController(options: RouterControllerOptions): ImageGenController {
  const running = new Map<TLShapeId, AbortController>();
  const runs = createRunStore();
  const words = (): WordsContext => ({ serverReachable: options.serverReachable?.() ?? true });

  async function run(editor: Editor, id: TLShapeId, intent: GenerateIntent, controller: AbortController): Promise<void> {
    const shape = editor.getShape<ImageGenShape>(id);
    if (!shape) return;
    const { signal } = controller;
    const started = performance.now();
    let preparedAt: number | null = null;
    let waitedForModel = false;
    runs.set(id, { status: 'generating', progress: 0, text: 'Starting…', error: null, preparation: null });
    try {
      const initImage = intent.fromShownImage ? await assetBlob(editor, shape.props.assetId) : undefined;
      const seed = seedFor(shape, intent);
      const prompt = promptFor(editor, shape, intent);
      let lastPercent = -1;
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
        onProgress: (p) => {
          if (signal.aborted) return;
          const preparing = p.phase === 'downloading' || p.phase === 'loading';
          if (preparing) {
            waitedForModel = true;
            options.onPreparing?.(p);
          } else if (waitedForModel && preparedAt === null) {
            preparedAt = performance.now();
            options.onPreparing?.(null);
          }
          const percent = Math.round((p.fraction ?? 0) * 100);
          if (percent === lastPercent && !p.stage) return;
          lastPercent = percent;
          runs.update(id, { status: PHASE_STATUS[p.phase], progress: Math.min(1, Math.max(0, p.fraction ?? 0)), text: formatProgress(p) });
        },
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
        preparedAt === null || result.source !== 'local' ? null : `The model was made ready first, in ${((preparedAt - started) / 1000).toFixed(1)} s`;
      const text = intent.keep ? keptText(result) : resultText(result, words());
      runs.set(id, { status: 'done', progress: 1, text, error: null, preparation });
      options.onResult?.(result);
    } catch (error) {
      if (signal.aborted) {
        // A newer request for this shape owns its state now; a person's Cancel says so.
        if (!(signal.reason instanceof Superseded)) {
          runs.set(id, {
            status: editor.getShape<ImageGenShape>(id)?.props.assetId ? 'done' : 'idle',
            progress: 0,
            text: 'Cancelled',
            error: null,
            preparation: null,
          });
        }
        return;
      }
      runs.set(id, { status: 'error', progress: 0, text: '', error: errorText(error, words()), preparation: null });
    } finally {
      if (waitedForModel && preparedAt === null) options.onPreparing?.(null);
      if (running.get(id) === controller) running.delete(id);
    }
  }

  return {
    generate(editor, id, intent) {
      running.get(id)?.abort(new Superseded());
      const controller = new AbortController();
      running.set(id, controller);
      void run(editor, id, intent, controller);
    },
    cancel(id) {
      running.get(id)?.abort(new DOMException('cancelled by the user', 'AbortError'));
    },
    isLocalReady: options.isLocalReady,
    getRun: (id) => runs.get(id),
    img2img: createImg2ImgActions({ router: options.router, ...(options.onResult ? { onResult: options.onResult } : {}) }),
    maxPromptChars: options.maxPromptChars,
  };
}
