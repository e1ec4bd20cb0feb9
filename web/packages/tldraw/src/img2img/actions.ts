/**
 * Image-to-image actions on the canvas: Refine a draft and restyle an image.
 * Each runs SD-Turbo img2img through the router (local first: `mode: 'local'`,
 * High Quality settings, so the full VAE decoder), stores the result through
 * tldraw's asset store and places it as a new image shape beside its source,
 * linked to it in `meta.hybridgen`. A local run reaches the ledger at $0 (the
 * router reports it, as every local draft).
 */

import type { GenerateRequest, GenerateResult, Router } from '@hybridgen/core';
import { createShapeId, type Editor, type TLAssetId, type TLImageShape, type TLShapeId } from 'tldraw';
import { assetBlob } from '../controller/assets.js';
import { storeResult } from '../controller/router-controller.js';
import { IMAGE_GEN_SHAPE_TYPE, type ImageGenShape } from '../shape/props.js';

/** What an img2img result records in its image shape's `meta.hybridgen`. */
export interface Img2ImgMeta {
  readonly action: 'refine' | 'style' | 'lens';
  /** The shape the image was made from (the draft, the image, the lens frame). */
  readonly sourceShapeId: string;
  readonly prompt: string;
  readonly strength: number;
  readonly seed: number;
  readonly source: 'local' | 'cloud';
  readonly engine: string;
  readonly costUsd: number;
}

/** A style people pick by name: the words added to the prompt. */
export interface StylePreset {
  readonly id: string;
  readonly label: string;
  readonly prompt: string;
}

/** The style presets the Style action offers (the prompt is editable too). */
export const STYLE_PRESETS: readonly StylePreset[] = [
  { id: 'watercolor', label: 'Watercolour', prompt: 'a watercolour painting, soft washes, paper texture' },
  { id: 'oil', label: 'Oil painting', prompt: 'an oil painting, thick brush strokes, impasto' },
  { id: 'pencil', label: 'Pencil sketch', prompt: 'a detailed pencil sketch, graphite shading' },
  { id: 'anime', label: 'Anime', prompt: 'anime style illustration, clean line art, cel shading' },
  { id: 'photo', label: 'Photograph', prompt: 'a photograph, natural light, 35mm, sharp focus' },
];

/** The default strengths: Refine keeps the draft's composition; Style repaints more of it. */
export const DEFAULT_STRENGTH = { refine: 0.5, style: 0.6, lens: 0.5 } as const;

/** Options of {@link createImg2ImgActions}. */
export interface Img2ImgActionsOptions {
  readonly router: Router;
  /** Called with every finished generation (e.g. to refresh a cost panel). */
  readonly onResult?: (result: GenerateResult) => void;
}

/** One img2img run: what to start from and where the result goes. */
export interface Img2ImgRun {
  readonly action: Img2ImgMeta['action'];
  readonly sourceShapeId: TLShapeId;
  readonly initImage: Blob;
  readonly prompt: string;
  readonly strength: number;
  readonly quality: GenerateRequest['quality'];
  readonly mode: GenerateRequest['mode'];
  readonly seed?: number;
  /** Width / height of the result's shape (default the image's): a stretched source is shown at its own ratio. */
  readonly aspect?: number;
  /** Update this image shape instead of placing a new one (the lens's output). */
  readonly target?: TLShapeId;
  readonly signal?: AbortSignal;
}

/** Img2img on the canvas; every method resolves with the result's image shape id. */
export interface Img2ImgActions {
  /** Refines the draft of an image-generation shape on this device at `strength`. */
  refine(editor: Editor, shapeId: TLShapeId, strength: number, signal?: AbortSignal): Promise<TLShapeId>;
  /** Restyles an image shape with a style prompt at `strength` (see README: what style transfer means here). */
  style(editor: Editor, imageShapeId: TLShapeId, stylePrompt: string, strength: number, signal?: AbortSignal): Promise<TLShapeId>;
  /** Runs one img2img request and places (or updates) its image shape. */
  run(editor: Editor, run: Img2ImgRun): Promise<TLShapeId>;
}

/** The image shape's place: right of its source, the source's height, the result's aspect ratio kept. */
function besideSource(editor: Editor, sourceId: TLShapeId, aspect: number): { x: number; y: number; w: number; h: number } {
  const bounds = editor.getShapePageBounds(sourceId);
  if (!bounds) return { x: 0, y: 0, w: 320, h: 320 / aspect };
  const h = Math.max(64, Math.min(bounds.h, bounds.w / aspect));
  return { x: bounds.maxX + 40, y: bounds.y, w: h * aspect, h };
}

/** Puts the stored result in `r.target` when it exists (freeing its old picture), else in a new image shape. */
function placeResult(editor: Editor, r: Img2ImgRun, result: GenerateResult, assetId: TLAssetId, meta: Img2ImgMeta): TLShapeId {
  const existing = r.target ? editor.getShape<TLImageShape>(r.target) : undefined;
  if (existing) {
    const id = existing.id;
    const previous = existing.props.assetId;
    editor.updateShape<TLImageShape>({ id, type: 'image', props: { assetId }, meta: { hybridgen: { ...meta } } });
    // The lens replaces its picture: the one it showed before is nobody's any more.
    if (previous && previous !== assetId) editor.deleteAssets([previous]);
    return id;
  }
  const id = r.target ?? createShapeId();
  const place = besideSource(editor, r.sourceShapeId, r.aspect ?? result.width / result.height);
  editor.createShape<TLImageShape>({
    id,
    type: 'image',
    x: place.x,
    y: place.y,
    props: { assetId, w: place.w, h: place.h },
    meta: { hybridgen: { ...meta } },
  });
  return id;
}

/** Runs one img2img request through the router, stores its image and places its shape. */
async function runImg2Img(options: Img2ImgActionsOptions, editor: Editor, r: Img2ImgRun): Promise<TLShapeId> {
  const signal = r.signal ?? new AbortController().signal;
  const result = await options.router.generate({
    prompt: r.prompt,
    width: 512,
    height: 512,
    quality: r.quality,
    mode: r.mode,
    initImage: r.initImage,
    strength: r.strength,
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
    signal,
  });
  signal.throwIfAborted();
  const assetId = await storeResult(editor, r.prompt, result, signal);
  signal.throwIfAborted();
  const meta: Img2ImgMeta = {
    action: r.action,
    sourceShapeId: r.sourceShapeId,
    prompt: r.prompt,
    strength: r.strength,
    seed: result.seed,
    source: result.source,
    engine: result.engine,
    costUsd: result.costUsd,
  };
  const id = placeResult(editor, r, result, assetId, meta);
  options.onResult?.(result);
  return id;
}

/** Runs one img2img request and resolves with its image shape id. */
type RunFn = Img2ImgActions['run'];

/** Refine: the draft of an image-generation shape, on this device, its prompt and seed. */
async function refineDraft(run: RunFn, editor: Editor, shapeId: TLShapeId, strength: number, signal?: AbortSignal): Promise<TLShapeId> {
  const shape = editor.getShape<ImageGenShape>(shapeId);
  if (shape?.type !== IMAGE_GEN_SHAPE_TYPE) throw new Error('Refine needs an image-generation shape');
  const initImage = await assetBlob(editor, shape.props.assetId);
  if (!initImage) throw new Error('there is no draft to refine yet');
  return run(editor, {
    action: 'refine',
    sourceShapeId: shapeId,
    initImage,
    prompt: shape.props.prompt,
    strength,
    quality: 'final',
    mode: 'local',
    ...(shape.props.seed !== null ? { seed: shape.props.seed } : {}),
    ...(signal ? { signal } : {}),
  });
}

/** Style: an image shape repainted with a style prompt, shown at the image's ratio. */
async function restyleImage(
  run: RunFn,
  editor: Editor,
  imageShapeId: TLShapeId,
  stylePrompt: string,
  strength: number,
  signal?: AbortSignal,
): Promise<TLShapeId> {
  const shape = editor.getShape<TLImageShape>(imageShapeId);
  if (shape?.type !== 'image') throw new Error('Style needs an image shape');
  const initImage = await assetBlob(editor, shape.props.assetId);
  if (!initImage) throw new Error('the image has no file in the asset store');
  return run(editor, {
    action: 'style',
    aspect: shape.props.w / shape.props.h,
    sourceShapeId: imageShapeId,
    initImage,
    prompt: stylePrompt,
    strength,
    quality: 'final',
    mode: 'local',
    ...(signal ? { signal } : {}),
  });
}

/** Creates {@link Img2ImgActions} over the router. */
export function createImg2ImgActions(options: Img2ImgActionsOptions): Img2ImgActions {
  const run: RunFn = (editor, r) => runImg2Img(options, editor, r);
  return {
    run,
    refine: (editor, shapeId, strength, signal) => refineDraft(run, editor, shapeId, strength, signal),
    style: (editor, imageShapeId, stylePrompt, strength, signal) => restyleImage(run, editor, imageShapeId, stylePrompt, strength, signal),
  };
}
