import { memo } from 'react';
import { stopEventPropagation, type TLAssetId, useEditor, useImageOrVideoAsset, useValue } from 'tldraw';
import { ImageActionButtons } from '../actions/ui.js';
import { useImageGenController } from '../controller/context.js';
import { RUNNING_STATUSES, type ShapeRun } from '../controller/run-state.js';
import type { GenerateIntent } from '../controller/types.js';
import { RefineControls } from '../img2img/RefineControls.js';
import { useLivePreview } from './live-preview.js';
import { ModeToggle } from './ModeToggle.js';
import type { ImageGenShape } from './props.js';
import { styles } from './styles.js';

function formatUsd(usd: number): string {
  return usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** The shape's run, or what its document says when nothing ran since the page opened. */
function restingRun(shape: ImageGenShape): ShapeRun {
  return { status: shape.props.assetId ? 'done' : 'idle', progress: 0, text: '', error: null, preparation: null };
}

/** The UI inside an image-generation shape. Memoized: it re-renders when the shape or its run changes. */
export const ImageGenPanel = memo(function ImageGenPanel({ shape }: { shape: ImageGenShape }) {
  const editor = useEditor();
  const controller = useImageGenController();
  const { props } = shape;
  const run = useValue('hybridgen run', () => controller?.getRun(shape.id) ?? restingRun(shape), [controller, shape]);
  const running = RUNNING_STATUSES.has(run.status);
  const { url: imageSrc } = useImageOrVideoAsset({ shapeId: shape.id, assetId: props.assetId as TLAssetId | null, width: props.w });
  // The decoder the shown image came from (its asset's meta): a tiny-decoder draft can be kept in full.
  const decoder = useValue('hybridgen decoder', () => {
    const made = props.assetId ? editor.getAsset(props.assetId as TLAssetId)?.meta.decoder : undefined;
    return typeof made === 'string' ? made : '';
  }, [editor, props.assetId]);

  const update = (partial: Partial<ImageGenShape['props']>) => editor.updateShape<ImageGenShape>({ id: shape.id, type: shape.type, props: partial });
  const start = (intent: GenerateIntent) => controller?.generate(editor, shape.id, intent);
  const quality = props.mode === 'hq' ? 'final' : 'draft';
  useLivePreview(editor, controller, shape.id, props.prompt, props.mode);

  return (
    <div
      style={styles.panel}
      data-testid="hg-shape"
      data-shape-id={shape.id}
      data-status={run.status}
      data-seed={props.seed ?? ''}
      data-decoder={decoder}
      onPointerDown={stopEventPropagation}
    >
      <textarea
        style={styles.prompt}
        data-testid="hg-prompt"
        aria-label="Prompt"
        placeholder="Describe the image…"
        maxLength={controller?.maxPromptChars}
        value={props.prompt}
        onChange={(e) => update({ prompt: e.currentTarget.value })}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Enter' && (e.metaKey || e.ctrlKey) && props.prompt.trim()) start({ quality });
        }}
      />
      <ModeToggle mode={props.mode} onChange={(mode) => update({ mode })} />
      <div style={styles.actions}>
        {running ? (
          <button type="button" style={styles.secondary} data-testid="hg-cancel" onClick={() => controller?.cancel(shape.id)}>
            Cancel
          </button>
        ) : (
          <button
            type="button"
            style={styles.button}
            data-testid="hg-generate"
            disabled={!props.prompt.trim() || !controller}
            onClick={() => start({ quality })}
          >
            Generate
          </button>
        )}
        {props.assetId && !running && (
          <button
            type="button"
            style={styles.secondary}
            data-testid="hg-variation"
            title="The same prompt with the next seed"
            onClick={() => start({ quality: props.quality ?? quality, nextSeed: true })}
          >
            Variation
          </button>
        )}
        {props.assetId && props.source === 'local' && decoder === 'tiny' && !running && (
          <button
            type="button"
            style={styles.secondary}
            data-testid="hg-keep"
            title="Decode this draft again with the full decoder: the same picture, in full detail"
            onClick={() => start({ quality: 'draft', keep: true })}
          >
            Keep
          </button>
        )}
        {props.assetId && props.quality === 'draft' && !running && (
          <button
            type="button"
            style={styles.secondary}
            data-testid="hg-render-hq"
            onClick={() => start({ quality: 'final', keepSeed: true, fromShownImage: true })}
          >
            Render in HQ
          </button>
        )}
      </div>
      {props.assetId && (
        <div style={styles.row}>
          <ImageActionButtons shapeId={shape.id} disabled={running} />
        </div>
      )}
      {props.assetId && !running && <RefineControls shape={shape} />}
      {running && (
        <div
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(run.progress * 100)}
          style={styles.progressTrack}
          data-testid="hg-progress"
        >
          <div style={styles.progressFill(run.progress)} />
        </div>
      )}
      {run.status === 'error' ? (
        <div style={styles.row}>
          <span style={styles.error} data-testid="hg-error" role="alert">
            {run.error}
          </span>
          <button type="button" style={styles.secondary} data-testid="hg-retry" onClick={() => start({ quality, keepSeed: true })}>
            Retry
          </button>
        </div>
      ) : (
        <div style={styles.status} data-testid="hg-status" title={run.text}>
          {run.text}
        </div>
      )}
      {run.preparation && !running && (
        <div style={styles.note} data-testid="hg-preparation">
          {run.preparation}
        </div>
      )}
      <div style={styles.imageBox}>
        {imageSrc ? <img src={imageSrc} alt={props.prompt} style={styles.image} data-testid="hg-image" draggable={false} decoding="async" /> : null}
      </div>
      {props.assetId && (
        <div style={styles.badge} data-testid="hg-result" data-source={props.source ?? ''}>
          {props.resultLabel} · {formatUsd(props.costUsd)}
        </div>
      )}
    </div>
  );
});
