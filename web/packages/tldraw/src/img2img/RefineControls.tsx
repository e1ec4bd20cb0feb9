import { useState } from 'react';
import { useEditor } from 'tldraw';
import { useImageGenController } from '../controller/context.js';
import { errorText } from '../controller/words.js';
import type { ImageGenShape } from '../shape/props.js';
import { styles } from '../shape/styles.js';
import { DEFAULT_STRENGTH } from './actions.js';

/** What a Refine or Style run shows while it runs and after. */
export type ActionState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'running' }
  | { readonly kind: 'done'; readonly ms: number }
  | { readonly kind: 'error'; readonly text: string };

/** Runs `work` and reports its state (running, done with its time, error in words). */
export async function track(set: (s: ActionState) => void, work: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  set({ kind: 'running' });
  try {
    await work();
    set({ kind: 'done', ms: performance.now() - started });
  } catch (error) {
    set({ kind: 'error', text: errorText(error, { serverReachable: true }) });
  }
}

/** The words for an action's state. */
export function actionText(state: ActionState, verb: string): string {
  if (state.kind === 'running') return `${verb} on this device…`;
  if (state.kind === 'done') return `Done in ${(state.ms / 1000).toFixed(1)} s: the result is beside the source`;
  return state.kind === 'error' ? state.text : '';
}

/**
 * Refine, beside Render in HQ: img2img of the shown draft on this device (SD-Turbo at 4 steps x
 * strength, full decoder) into a new image shape linked to the draft. Strength is a control, not
 * document data.
 */
export function RefineControls({ shape }: { shape: ImageGenShape }) {
  const editor = useEditor();
  const controller = useImageGenController();
  const [strength, setStrength] = useState<number>(DEFAULT_STRENGTH.refine);
  const [state, setState] = useState<ActionState>({ kind: 'idle' });
  const img2img = controller?.img2img;
  if (!img2img || !shape.props.assetId) return null;
  return (
    <div style={styles.row} data-testid="hg-refine-row">
      <button
        type="button"
        style={styles.secondary}
        data-testid="hg-refine"
        disabled={state.kind === 'running'}
        title="Refine this image on this device (image-to-image)"
        onClick={() => void track(setState, () => img2img.refine(editor, shape.id, strength))}
      >
        Refine
      </button>
      <input
        type="range"
        aria-label="Refine strength"
        data-testid="hg-refine-strength"
        min={0.1}
        max={1}
        step={0.05}
        value={strength}
        style={{ flex: 1, minWidth: 0 }}
        onChange={(e) => setStrength(Number(e.currentTarget.value))}
      />
      <span style={{ fontSize: 11, whiteSpace: 'nowrap' }} data-testid="hg-refine-status" data-state={state.kind} title={actionText(state, 'Refining')}>
        {state.kind === 'idle' ? strength.toFixed(2) : state.kind === 'running' ? 'Refining…' : state.kind === 'done' ? 'Refined' : 'Failed'}
      </span>
    </div>
  );
}
