import { useEffect, useState } from 'react';
import { type Editor, stopEventPropagation, type TLImageShape, type TLShapeId, useEditor, useValue } from 'tldraw';
import { useImageGenController } from '../controller/context.js';
import { errorText } from '../controller/words.js';
import { styles } from '../shape/styles.js';
import { placeWithoutOverlap } from '../tool/placement.js';
import { DEFAULT_STRENGTH, STYLE_PRESETS } from './actions.js';
import { type ActionState, actionText, track } from './RefineControls.js';
import { createLensFrame, watchSketchLenses } from './sketch-lens.js';

const overlay = {
  position: 'absolute',
  top: 56,
  left: '50%',
  transform: 'translateX(-50%)',
  display: 'flex',
  gap: 8,
  alignItems: 'center',
  padding: '6px 10px',
  background: 'var(--color-panel, #fff)',
  border: '1px solid #ddd',
  borderRadius: 8,
  fontSize: 12,
  pointerEvents: 'all',
} as const;

/** The lens's last outcome, for the words under it. */
type LensState = { readonly runs: number; readonly lastMs: number | null; readonly error: string | null };

function useSketchLenses(editor: Editor): LensState {
  const controller = useImageGenController();
  const [state, setState] = useState<LensState>({ runs: 0, lastMs: null, error: null });
  useEffect(() => {
    const actions = controller?.img2img;
    if (!actions) return;
    return watchSketchLenses(editor, {
      actions,
      onRun: (_frame, outcome) =>
        setState((s) =>
          outcome.error === undefined
            ? { runs: s.runs + 1, lastMs: outcome.ms, error: null }
            : { ...s, error: errorText(outcome.error, { serverReachable: true }) },
        ),
    });
  }, [editor, controller]);
  return state;
}

/** Style for the one selected image shape: a preset or words, a strength, the Style button. */
function StyleControls({ shapeId }: { shapeId: TLShapeId }) {
  const editor = useEditor();
  const controller = useImageGenController();
  const [prompt, setPrompt] = useState<string>(STYLE_PRESETS[0]?.prompt ?? '');
  const [strength, setStrength] = useState<number>(DEFAULT_STRENGTH.style);
  const [state, setState] = useState<ActionState>({ kind: 'idle' });
  const img2img = controller?.img2img;
  if (!img2img) return null;
  return (
    <>
      <select
        aria-label="Style preset"
        data-testid="hg-style-preset"
        onChange={(e) => setPrompt(STYLE_PRESETS.find((p) => p.id === e.currentTarget.value)?.prompt ?? prompt)}
      >
        {STYLE_PRESETS.map((p) => (
          <option key={p.id} value={p.id}>
            {p.label}
          </option>
        ))}
      </select>
      <input aria-label="Style prompt" data-testid="hg-style-prompt" value={prompt} style={{ width: 220 }} onChange={(e) => setPrompt(e.currentTarget.value)} />
      <input
        type="range"
        aria-label="Style strength"
        min={0.1}
        max={1}
        step={0.05}
        value={strength}
        onChange={(e) => setStrength(Number(e.currentTarget.value))}
      />
      <button
        type="button"
        style={styles.button}
        data-testid="hg-style"
        disabled={state.kind === 'running' || !prompt.trim()}
        onClick={() => void track(setState, () => img2img.style(editor, shapeId, prompt, strength))}
      >
        Style
      </button>
      <span data-testid="hg-style-status" data-state={state.kind}>
        {actionText(state, 'Styling')}
      </span>
    </>
  );
}

/**
 * Image-to-image over the canvas (tldraw's `InFrontOfTheCanvas`): a "Sketch lens" button that adds
 * a lens frame, the lens watcher and its last result, and Style for a selected image shape.
 */
export function Img2ImgOverlay() {
  const editor = useEditor();
  const lens = useSketchLenses(editor);
  const selectedImage = useValue('hybridgen selected image', () => {
    const only = editor.getOnlySelectedShape();
    return only?.type === 'image' && (only as TLImageShape).props.assetId ? only.id : null;
  }, [editor]);
  return (
    <div style={overlay} data-testid="hg-img2img" onPointerDown={stopEventPropagation}>
      <button
        type="button"
        style={styles.secondary}
        data-testid="hg-new-lens"
        title="A frame whose sketch becomes an image beside it as you draw; its name is the prompt"
        onClick={() => {
          const c = editor.getViewportPageBounds().center;
          const id = createLensFrame(editor, 'a cosy cabin in a snowy forest, warm light', { x: c.x - 160, y: c.y - 160 });
          // On empty canvas: strokes over another shape's panel would land on that panel.
          placeWithoutOverlap(editor, id);
          editor.select(id);
          editor.zoomToSelectionIfOffscreen(64);
        }}
      >
        Sketch lens
      </button>
      <span data-testid="hg-lens-status" data-runs={lens.runs} title={lens.error ?? ''}>
        {lens.error ? `Lens: ${lens.error}` : lens.lastMs === null ? '' : `Lens: image in ${(lens.lastMs / 1000).toFixed(2)} s`}
      </span>
      {selectedImage && <StyleControls key={selectedImage} shapeId={selectedImage} />}
    </div>
  );
}
