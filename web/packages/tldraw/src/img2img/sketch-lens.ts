/**
 * The Sketch lens: a tldraw frame whose contents (pen strokes, shapes,
 * images) become an image beside it as people draw. On every document change
 * inside a lens frame the frame is exported (`editor.toImage`, its bounds,
 * white background) after a pause ({@link LENS_DEBOUNCE_MS}); only the latest
 * export runs: a newer one aborts the one in flight (never a queue). The
 * frame's name is the prompt. Requests go through the router like the shape's
 * Auto mode (local first, the cloud only when the device cannot), as drafts
 * (the tiny decoder). One output image shape per lens, beside the frame,
 * linked to it in `meta.hybridgen`; each run replaces its picture.
 */

import { createShapeId, type Editor, type TLFrameShape, type TLShape, type TLShapeId } from 'tldraw';
import { DEFAULT_STRENGTH, type Img2ImgActions } from './actions.js';

/** Milliseconds of quiet after a change before the lens renders (a burst of strokes makes one image). */
export const LENS_DEBOUNCE_MS = 250;

/** Side of the exported sketch in pixels (the engine resizes to its session size anyway). */
const EXPORT_SIDE = 512;

/** What a lens frame keeps in its `meta.hybridgenLens`. */
export interface LensMeta {
  /** (0, 1]: how much of the sketch is repainted. */
  readonly strength: number;
  /** The image shape the lens writes to (created on its first run). */
  readonly outputId: string;
}

/** The lens meta of a frame, or null when it is not a lens. */
export function lensOf(shape: TLShape | undefined): LensMeta | null {
  if (shape?.type !== 'frame') return null;
  const meta = shape.meta.hybridgenLens as Partial<LensMeta> | undefined;
  return meta && typeof meta.outputId === 'string' ? { strength: meta.strength ?? DEFAULT_STRENGTH.lens, outputId: meta.outputId } : null;
}

/** Creates a lens frame at (x, y) with `prompt` as its name; returns its id. */
export function createLensFrame(editor: Editor, prompt: string, at: { x: number; y: number }, size = 320): TLShapeId {
  const id = createShapeId();
  const meta: LensMeta = { strength: DEFAULT_STRENGTH.lens, outputId: createShapeId() };
  editor.createShape<TLFrameShape>({ id, type: 'frame', x: at.x, y: at.y, props: { w: size, h: size, name: prompt }, meta: { hybridgenLens: { ...meta } } });
  return id;
}

/** The lens frame `shape` lies in (itself when it is one), else null. */
function lensFrameOf(editor: Editor, shape: TLShape): TLShapeId | null {
  if (lensOf(shape)) return shape.id;
  const ancestor = editor.findShapeAncestor(shape, (s) => lensOf(s) !== null);
  return ancestor?.id ?? null;
}

/** Options of {@link watchSketchLenses}. */
export interface SketchLensOptions {
  readonly actions: Img2ImgActions;
  /** Told about each run's end: the output shape id, or the error (not for superseded runs). */
  readonly onRun?: (frameId: TLShapeId, outcome: { readonly outputId?: TLShapeId; readonly error?: unknown; readonly ms: number }) => void;
  readonly debounceMs?: number;
}

/** What the functions of {@link watchSketchLenses} share. */
interface LensWatch {
  readonly editor: Editor;
  readonly options: SketchLensOptions;
  /** Each lens's pending debounce. */
  readonly timers: Map<TLShapeId, ReturnType<typeof setTimeout>>;
  /** Each lens's run in flight. */
  readonly inFlight: Map<TLShapeId, AbortController>;
  readonly debounce: number;
}

/** Renders the lens `debounce` ms after its last change. */
function scheduleLens(w: LensWatch, frameId: TLShapeId): void {
  clearTimeout(w.timers.get(frameId));
  w.timers.set(
    frameId,
    setTimeout(() => {
      w.timers.delete(frameId);
      void renderLens(w, frameId);
    }, w.debounce),
  );
}

/** Exports the lens's sketch and runs img2img on it into the lens's output, superseding a run in flight. */
async function renderLens(w: LensWatch, frameId: TLShapeId): Promise<void> {
  const { editor, options } = w;
  w.inFlight.get(frameId)?.abort(new DOMException('superseded by a newer sketch', 'AbortError'));
  const controller = new AbortController();
  w.inFlight.set(frameId, controller);
  const started = performance.now();
  try {
    const frame = editor.getShape<TLFrameShape>(frameId);
    const lens = lensOf(frame);
    const children = editor.getSortedChildIdsForParent(frameId);
    if (!frame || !lens || children.length === 0 || !frame.props.name.trim()) return;
    const bounds = editor.getShapePageBounds(frameId);
    if (!bounds) return;
    const { blob } = await editor.toImage(children, {
      format: 'png',
      background: true,
      bounds,
      padding: 0,
      pixelRatio: 1,
      scale: EXPORT_SIDE / Math.max(bounds.w, bounds.h),
    });
    controller.signal.throwIfAborted();
    const outputId = await options.actions.run(editor, {
      action: 'lens',
      sourceShapeId: frameId,
      target: lens.outputId as TLShapeId,
      aspect: bounds.w / bounds.h,
      initImage: blob,
      prompt: frame.props.name,
      strength: lens.strength,
      quality: 'draft',
      mode: 'auto',
      signal: controller.signal,
    });
    options.onRun?.(frameId, { outputId, ms: performance.now() - started });
  } catch (error) {
    if (!controller.signal.aborted) options.onRun?.(frameId, { error, ms: performance.now() - started });
  } finally {
    if (w.inFlight.get(frameId) === controller) w.inFlight.delete(frameId);
  }
}

/** The store's document changes, as the listener of `editor.store.listen` gets them. */
type StoreChanges = Parameters<Parameters<Editor['store']['listen']>[0]>[0]['changes'];

/** The lenses a change touches: the lens a shape is in now, and the lens it was in before. */
function lensesTouched(editor: Editor, changes: StoreChanges): Set<TLShapeId> {
  const touched = new Set<TLShapeId>();
  const consider = (record: { typeName: string }) => {
    if (record.typeName !== 'shape') return;
    const shape = record as TLShape;
    // The lens's own output never triggers it (it sits beside the frame, but may be moved in).
    if ((shape.meta.hybridgen as { action?: string } | undefined)?.action === 'lens') return;
    const frameId = editor.getShape(shape.id) ? lensFrameOf(editor, editor.getShape(shape.id) as TLShape) : null;
    if (frameId) touched.add(frameId);
    // A shape removed from, or moved out of, a lens: its old parent.
    const parent = editor.getShape(shape.parentId as TLShapeId);
    if (parent && lensOf(parent)) touched.add(parent.id);
  };
  for (const r of Object.values(changes.added)) consider(r);
  for (const [, to] of Object.values(changes.updated)) consider(to);
  for (const r of Object.values(changes.removed)) consider(r);
  return touched;
}

/** Watches every lens frame of the editor; returns the function that stops it (and aborts runs). */
export function watchSketchLenses(editor: Editor, options: SketchLensOptions): () => void {
  const w: LensWatch = { editor, options, timers: new Map(), inFlight: new Map(), debounce: options.debounceMs ?? LENS_DEBOUNCE_MS };
  const stop = editor.store.listen(
    ({ changes }) => {
      for (const id of lensesTouched(editor, changes)) scheduleLens(w, id);
    },
    { scope: 'document', source: 'user' },
  );
  return () => {
    stop();
    for (const t of w.timers.values()) clearTimeout(t);
    for (const c of w.inFlight.values()) c.abort(new DOMException('the lens stopped', 'AbortError'));
  };
}
