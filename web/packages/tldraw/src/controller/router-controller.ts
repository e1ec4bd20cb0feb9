import { blobToDataUrl, type GenerateResult, type RouteMode, type RouteProgress, type Router } from '@hybridgen/core';
import { AssetRecordType, type Editor, type TLImageAsset, type TLShapeId } from 'tldraw';
import { IMAGE_GEN_SHAPE_TYPE, type ImageGenMode, type ImageGenShape, type ImageGenStatus } from '../shape/props.js';
import type { GenerateIntent, ImageGenController } from './types.js';

/** Options of {@link createRouterController}. */
export interface RouterControllerOptions {
  /** Routes each request to the local engine or the cloud. */
  readonly router: Router;
  /** Whether the local model is ready for live previews. */
  readonly isLocalReady: () => boolean;
  /** Called with every finished generation, e.g. to refresh a cost panel. */
  readonly onResult?: (result: GenerateResult) => void;
}

const ROUTE_MODE: Readonly<Record<ImageGenMode, RouteMode>> = { auto: 'auto', preview: 'local', hq: 'cloud' };
const PHASE_STATUS: Readonly<Record<RouteProgress['phase'], ImageGenStatus>> = {
  downloading: 'downloading',
  loading: 'loading',
  queued: 'queued',
  generating: 'generating',
  uploading: 'generating',
};

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An {@link ImageGenController} over `@hybridgen/core`'s router: it maps the
 * shape's mode to a route, streams progress into the shape, stores the result
 * as a tldraw image asset (with prompt, seed, model, source and cost in its
 * meta) and keeps only the latest request per shape.
 */
export function createRouterController(options: RouterControllerOptions): ImageGenController {
  const running = new Map<TLShapeId, AbortController>();

  function patch(editor: Editor, id: TLShapeId, props: Partial<ImageGenShape['props']>): boolean {
    const shape = editor.getShape<ImageGenShape>(id);
    if (!shape || shape.type !== IMAGE_GEN_SHAPE_TYPE) return false;
    editor.run(() => editor.updateShape<ImageGenShape>({ id, type: IMAGE_GEN_SHAPE_TYPE, props }), { history: 'ignore' });
    return true;
  }

  async function shownImage(editor: Editor, shape: ImageGenShape): Promise<Blob | undefined> {
    if (!shape.props.assetId) return undefined;
    const asset = editor.getAsset(shape.props.assetId as TLImageAsset['id']);
    if (asset?.type !== 'image' || !asset.props.src) return undefined;
    return (await fetch(asset.props.src)).blob();
  }

  async function store(editor: Editor, shape: ImageGenShape, result: GenerateResult): Promise<TLImageAsset['id']> {
    const id = AssetRecordType.createId();
    editor.createAssets([
      AssetRecordType.create({
        id,
        type: 'image',
        props: {
          src: await blobToDataUrl(result.image),
          w: result.width,
          h: result.height,
          mimeType: result.image.type || 'image/png',
          name: 'generated.png',
          isAnimated: false,
        },
        meta: {
          prompt: shape.props.prompt,
          seed: result.seed,
          model: result.model,
          engine: result.engine,
          source: result.source,
          costUsd: result.costUsd,
          avoidedCostUsd: result.avoidedCostUsd,
          label: result.label,
        },
      }),
    ]);
    return id;
  }

  async function run(editor: Editor, id: TLShapeId, intent: GenerateIntent, controller: AbortController): Promise<void> {
    const shape = editor.getShape<ImageGenShape>(id);
    if (!shape) return;
    const { signal } = controller;
    patch(editor, id, { status: 'generating', progress: 0, statusText: 'Starting…' });
    try {
      const initImage = intent.fromShownImage ? await shownImage(editor, shape) : undefined;
      let lastPercent = -1;
      const result = await options.router.generate({
        prompt: shape.props.prompt,
        negativePrompt: shape.props.negativePrompt,
        width: shape.props.imageWidth,
        height: shape.props.imageHeight,
        quality: intent.quality,
        mode: intent.quality === 'final' && shape.props.mode === 'auto' ? 'auto' : ROUTE_MODE[shape.props.mode],
        ...(intent.keepSeed && shape.props.seed !== null ? { seed: shape.props.seed } : {}),
        ...(initImage ? { initImage } : {}),
        signal,
        onProgress: (p) => {
          const percent = Math.round((p.fraction ?? 0) * 100);
          if (percent === lastPercent && !p.detail) return;
          lastPercent = percent;
          patch(editor, id, { status: PHASE_STATUS[p.phase], progress: Math.min(1, Math.max(0, p.fraction ?? 0)), statusText: p.detail ?? p.phase });
        },
      });
      if (signal.aborted) return;
      const assetId = await store(editor, shape, result);
      const total = result.timings.total;
      patch(editor, id, {
        status: 'done',
        progress: 1,
        assetId,
        seed: result.seed,
        source: result.source,
        quality: intent.quality,
        resultLabel: result.label,
        costUsd: result.costUsd,
        statusText: `${result.routeReason}${total ? ` · ${(total / 1000).toFixed(1)} s` : ''}`,
      });
      options.onResult?.(result);
    } catch (error) {
      if (signal.aborted) {
        patch(editor, id, { status: shape.props.assetId ? 'done' : 'idle', progress: 0, statusText: 'Cancelled' });
        return;
      }
      patch(editor, id, { status: 'error', progress: 0, statusText: errorText(error) });
    } finally {
      if (running.get(id) === controller) running.delete(id);
    }
  }

  return {
    generate(editor, id, intent) {
      running.get(id)?.abort(new DOMException('superseded by a newer request', 'AbortError'));
      const controller = new AbortController();
      running.set(id, controller);
      void run(editor, id, intent, controller);
    },
    cancel(id) {
      running.get(id)?.abort(new DOMException('cancelled by the user', 'AbortError'));
    },
    isLocalReady: options.isLocalReady,
  };
}
