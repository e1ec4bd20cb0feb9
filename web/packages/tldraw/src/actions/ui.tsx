import { createContext, type ReactNode, useContext } from 'react';
import {
  DefaultContextMenu,
  DefaultContextMenuContent,
  type TLShapeId,
  type TLUiContextMenuProps,
  TldrawUiMenuGroup,
  TldrawUiMenuItem,
  useEditor,
  useValue,
} from 'tldraw';
import { styles } from '../shape/styles.js';
import { selectedImageShape } from './source.js';
import type { ImageActionController, ImageActionRun } from './types.js';

const ActionsContext = createContext<ImageActionController | null>(null);

/** Makes `actions` available to the context menu, the status strip and the shapes' panels. */
export function ImageActionsProvider({ actions, children }: { actions: ImageActionController | null; children: ReactNode }) {
  return <ActionsContext.Provider value={actions}>{children}</ActionsContext.Provider>;
}

/** The controller provided by {@link ImageActionsProvider}, or `null` outside one. */
export function useImageActions(): ImageActionController | null {
  return useContext(ActionsContext);
}

/** tldraw's context menu with "Upscale 2x" / "Upscale 4x" / "Remove background" first when one image shape is selected. */
export function ImageActionsContextMenu(props: TLUiContextMenuProps) {
  const editor = useEditor();
  const actions = useImageActions();
  const target = useValue('hybridgen image target', () => selectedImageShape(editor), [editor]);
  return (
    <DefaultContextMenu {...props}>
      {actions && target && (
        <TldrawUiMenuGroup id="hybridgen-image-actions">
          {actions.upscaleScales.map((scale) => (
            <TldrawUiMenuItem
              key={scale}
              id={`hybridgen-upscale-${scale}x`}
              label={`Upscale ${scale}x`}
              onSelect={() => actions.upscale(editor, target, scale)}
            />
          ))}
          {actions.canRemoveBackground && (
            <TldrawUiMenuItem id="hybridgen-remove-background" label="Remove background" onSelect={() => actions.removeBackground(editor, target)} />
          )}
        </TldrawUiMenuGroup>
      )}
      <DefaultContextMenuContent />
    </DefaultContextMenu>
  );
}

function RunLine({ id, run, actions }: { id: TLShapeId; run: ImageActionRun; actions: ImageActionController }) {
  return (
    <div style={styles.actionRun} data-testid="hg-action" data-source-id={id} data-status={run.status} data-result-id={run.resultShapeId ?? ''}>
      <span style={styles.actionLabel}>{run.label}</span>
      {run.status === 'running' && (
        <>
          <div
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(run.progress * 100)}
            style={{ ...styles.progressTrack, ...styles.actionProgress }}
          >
            <div style={styles.progressFill(run.progress)} />
          </div>
          <button type="button" style={styles.secondary} data-testid="hg-action-cancel" onClick={() => actions.cancel(id)}>
            Cancel
          </button>
        </>
      )}
      <span style={run.error ? styles.error : styles.status} data-testid="hg-action-text" role={run.error ? 'alert' : undefined}>
        {run.error ?? run.text}
      </span>
    </div>
  );
}

/** The image actions' progress, cancel and outcome, one line per source shape, over the canvas. */
export function ImageActionsStatus() {
  const actions = useImageActions();
  const runs = useValue('hybridgen image action runs', () => [...(actions?.runs() ?? new Map()).entries()], [actions]);
  if (!actions || runs.length === 0) return null;
  return (
    <div style={styles.actionStrip} data-testid="hg-actions">
      {runs.map(([id, run]) => (
        <RunLine key={id} id={id} run={run} actions={actions} />
      ))}
    </div>
  );
}

/** "Upscale 2x" / "Upscale 4x" / "Remove background" buttons for an image-generation shape's panel. */
export function ImageActionButtons({ shapeId, disabled }: { shapeId: TLShapeId; disabled: boolean }) {
  const editor = useEditor();
  const actions = useImageActions();
  if (!actions) return null;
  return (
    <>
      {actions.upscaleScales.map((scale) => (
        <button
          key={scale}
          type="button"
          style={styles.secondary}
          data-testid={`hg-upscale-${scale}x`}
          disabled={disabled}
          onClick={() => actions.upscale(editor, shapeId, scale)}
        >
          Upscale {scale}x
        </button>
      ))}
      {actions.canRemoveBackground && (
        <button
          type="button"
          style={styles.secondary}
          data-testid="hg-remove-background"
          disabled={disabled}
          onClick={() => actions.removeBackground(editor, shapeId)}
        >
          Remove background
        </button>
      )}
    </>
  );
}
