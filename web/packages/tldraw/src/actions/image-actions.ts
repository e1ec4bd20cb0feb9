import { DownloadError, type UpscaleStep } from '@hybridgen/core';
import { atom, createShapeId, type Editor, type TLImageShape, type TLShapeId } from 'tldraw';
import { assetBlob, storeImageAsset } from '../controller/assets.js';
import { errorText } from '../controller/words.js';
import { PLACEMENT_GAP, placeWithoutOverlap } from '../tool/placement.js';
import { imageSourceOf } from './source.js';
import type { ImageActionController, ImageActionMeta, ImageActionRun, LocalEditRecord, SegmenterLike, UpscalerLike } from './types.js';

/** Options of {@link createImageActionController}. */
export interface ImageActionControllerOptions {
  /** The on-device upscaler (`@hybridgen/core`'s `createUpscaler`). */
  readonly upscaler: UpscalerLike;
  /** The upscaler's model id (its manifest's), for meta, the ledger and the words. */
  readonly upscalerModel: string;
  /** The on-device background remover (`@hybridgen/core`'s `createSegmenter`), when the app has one. */
  readonly segmenter?: SegmenterLike;
  /** The background remover's model id, e.g. `selfie-segmentation`. */
  readonly segmenterModel?: string;
  /** Where it runs, in words people know, e.g. "WebGPU". */
  readonly engine: string;
  /** Records a finished edit in the ledger (at $0, with the cloud price avoided); may queue offline. */
  readonly record: (edit: LocalEditRecord) => Promise<unknown>;
  /** Called after each finished action, e.g. to refresh a cost panel. */
  readonly onResult?: () => void;
}

/** Why a run stopped: a newer action on the same shape replaced it. */
class Replaced extends DOMException {
  constructor() {
    super('replaced by a newer action', 'AbortError');
  }
}

/** Words for a failed action; a model missing from the server says how to get it. */
export function actionErrorText(error: unknown, model: string): string {
  if (error instanceof DownloadError && error.status === 404) {
    return `The ${model} model is not on this server. Run \`hybridgen models pull ${model}\` there (it fetches the weights from npm once), then try again.`;
  }
  return errorText(error, { serverReachable: true });
}

function progressText(step: UpscaleStep, scale: number): { progress: number; text: string } {
  if (step.phase === 'download') {
    const { fraction } = step.event;
    return { progress: fraction * 0.1, text: `Downloading the upscaler · ${Math.round(fraction * 100)}%` };
  }
  return { progress: 0.1 + (0.9 * step.tilesDone) / step.tilesTotal, text: `Upscaling ${scale}x · tile ${step.tilesDone} of ${step.tilesTotal}` };
}

/**
 * An {@link ImageActionController} running on this device: it reads the source shape's image from
 * the asset store, runs the action in its worker (progress per tile, cancel), stores the result
 * with `editor.uploadAsset`, creates a new `image` shape beside the source with
 * `meta.hybridgen` linking it back, and records the run in the ledger.
 */
export function createImageActionController(options: ImageActionControllerOptions): ImageActionController {
  const book = new RunBook();
  const running = new Map<TLShapeId, AbortController>();
  const start = (editor: Editor, sourceId: TLShapeId, spec: ActionSpec) => {
    running.get(sourceId)?.abort(new Replaced());
    const controller = new AbortController();
    running.set(sourceId, controller);
    void runAction({ editor, sourceId, signal: controller.signal, spec, book, options }).finally(() => {
      if (running.get(sourceId) === controller) running.delete(sourceId);
    });
  };
  return {
    upscaleScales: options.upscaler.scales,
    upscale: (editor, sourceId, scale) => start(editor, sourceId, upscaleSpec(book, options, sourceId, scale)),
    canRemoveBackground: options.segmenter !== undefined,
    removeBackground(editor, sourceId) {
      const { segmenter, segmenterModel } = options;
      if (segmenter && segmenterModel) start(editor, sourceId, segmentSpec(book, sourceId, segmenter, segmenterModel));
    },
    cancel(sourceId) {
      running.get(sourceId)?.abort(new DOMException('cancelled by the user', 'AbortError'));
    },
    runs: () => book.runs.get(),
  };
}

/** Each source shape's latest run, as a reactive map the UI reads. */
class RunBook {
  readonly runs = atom<ReadonlyMap<TLShapeId, ImageActionRun>>('hybridgen image actions', new Map());

  set(id: TLShapeId, run: ImageActionRun): void {
    this.runs.set(new Map(this.runs.get()).set(id, run));
  }

  update(id: TLShapeId, patch: Partial<ImageActionRun>): void {
    const run = this.runs.get().get(id);
    if (run) this.set(id, { ...run, ...patch });
  }
}

/** One action: what it runs on the source's image, and how its result is named and sized. */
interface ActionSpec {
  readonly label: string;
  readonly meta: ImageActionMeta;
  readonly fileName: string;
  /** The result's size in page units relative to the source's. */
  readonly sizeFactor: number;
  readonly done: string;
  readonly run: (image: Blob, signal: AbortSignal) => Promise<{ png: Blob; width: number; height: number }>;
}

/** One run of an action on a source shape. */
interface ActionRun {
  readonly editor: Editor;
  readonly sourceId: TLShapeId;
  readonly signal: AbortSignal;
  readonly spec: ActionSpec;
  readonly book: RunBook;
  readonly options: ImageActionControllerOptions;
}

/** Runs the action, places its result beside the source, records it; a failure or cancel shows on the source's run. */
async function runAction(r: ActionRun): Promise<void> {
  const { editor, sourceId, signal, spec, book, options } = r;
  const { label, meta } = spec;
  book.set(sourceId, { status: 'running', label, progress: 0, text: 'Starting…', error: null, resultShapeId: null });
  try {
    const source = imageSourceOf(editor, editor.getShape(sourceId));
    const image = source ? await assetBlob(editor, source.assetId) : undefined;
    if (!source || !image) throw new Error('the shape has no image to work on');
    const started = performance.now();
    const result = await spec.run(image, signal);
    const assetId = await storeImageAsset(
      editor,
      { image: result.png, width: result.width, height: result.height, name: spec.fileName, meta: { hybridgen: { ...meta } } },
      signal,
    );
    signal.throwIfAborted();
    const id = placeResult(editor, sourceId, assetId, { w: source.width * spec.sizeFactor, h: source.height * spec.sizeFactor }, meta);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const text = `${spec.done} on this device (${options.engine}) in ${seconds} s · $0`;
    book.set(sourceId, { status: 'done', label, progress: 1, text, error: null, resultShapeId: id });
    await options
      .record({ task: meta.action, model: meta.model, width: result.width, height: result.height })
      .catch((e: unknown) => console.warn(`hybridgen: the ${meta.action} was not recorded in the ledger`, e));
    options.onResult?.();
  } catch (error) {
    if (!signal.aborted) book.set(sourceId, { status: 'error', label, progress: 0, text: '', error: actionErrorText(error, meta.model), resultShapeId: null });
    else if (!(signal.reason instanceof Replaced))
      book.set(sourceId, { status: 'cancelled', label, progress: 0, text: 'Cancelled', error: null, resultShapeId: null });
  }
}

/** A new image shape for the result, right of the source, linked to it in meta. */
function placeResult(
  editor: Editor,
  sourceId: TLShapeId,
  assetId: TLImageShape['props']['assetId'],
  size: { w: number; h: number },
  meta: ImageActionMeta,
): TLShapeId {
  const bounds = editor.getShapePageBounds(sourceId);
  const id = createShapeId();
  editor.createShape<TLImageShape>({
    id,
    type: 'image',
    x: (bounds?.maxX ?? 0) + PLACEMENT_GAP,
    y: bounds?.y ?? 0,
    props: { assetId, ...size },
    meta: { hybridgen: { ...meta } },
  });
  placeWithoutOverlap(editor, id);
  return id;
}

function upscaleSpec(book: RunBook, options: ImageActionControllerOptions, sourceId: TLShapeId, scale: number): ActionSpec {
  return {
    label: `Upscale ${scale}x`,
    meta: { sourceShapeId: sourceId, action: 'upscale', scale, model: options.upscalerModel },
    fileName: `upscaled-${scale}x.png`,
    sizeFactor: scale,
    done: `Upscaled ${scale}x`,
    run: (image, signal) => options.upscaler.upscale(image, { scale, signal, onProgress: (step) => book.update(sourceId, progressText(step, scale)) }),
  };
}

function segmentSpec(book: RunBook, sourceId: TLShapeId, segmenter: SegmenterLike, model: string): ActionSpec {
  return {
    label: 'Remove background',
    meta: { sourceShapeId: sourceId, action: 'remove-background', model },
    fileName: 'background-removed.png',
    sizeFactor: 1,
    done: 'Removed the background',
    run: (image, signal) =>
      segmenter.removeBackground(image, {
        signal,
        onProgress: (step) =>
          book.update(
            sourceId,
            step.phase === 'download'
              ? { progress: step.event.fraction * 0.5, text: `Downloading the background remover · ${Math.round(step.event.fraction * 100)}%` }
              : { progress: 0.5, text: 'Removing the background…' },
          ),
      }),
  };
}
