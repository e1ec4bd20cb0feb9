import { memo, useEffect, useRef } from 'react';
import { stopEventPropagation, type TLImageAsset, useEditor, useValue } from 'tldraw';
import { useImageGenController } from '../controller/context.js';
import type { GenerateIntent } from '../controller/types.js';
import type { ImageGenMode, ImageGenShape } from './props.js';
import { styles } from './styles.js';

const MODES: readonly { mode: ImageGenMode; label: string }[] = [
  { mode: 'auto', label: 'Auto' },
  { mode: 'preview', label: 'Quick Preview' },
  { mode: 'hq', label: 'High Quality' },
];

/** Milliseconds of quiet typing before a live preview starts. */
export const LIVE_PREVIEW_DEBOUNCE_MS = 500;

const RUNNING = new Set(['downloading', 'loading', 'queued', 'generating']);

function formatUsd(usd: number): string {
  return usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** The UI inside an image-generation shape. Memoized: it re-renders only when the shape changes. */
export const ImageGenPanel = memo(function ImageGenPanel({ shape }: { shape: ImageGenShape }) {
  const editor = useEditor();
  const controller = useImageGenController();
  const { props } = shape;
  const running = RUNNING.has(props.status);
  const imageSrc = useValue('image-gen asset', () => {
    if (!props.assetId) return null;
    const asset = editor.getAsset(props.assetId as TLImageAsset['id']);
    return asset?.type === 'image' ? asset.props.src : null;
  }, [editor, props.assetId]);

  const update = (partial: Partial<ImageGenShape['props']>) => editor.updateShape<ImageGenShape>({ id: shape.id, type: shape.type, props: partial });
  const start = (intent: GenerateIntent) => controller?.generate(editor, shape.id, intent);
  const quality = props.mode === 'hq' ? 'final' : 'draft';

  // Live preview: in Quick Preview with the model ready, a pause in typing starts a draft;
  // the controller cancels any older one, so only the latest prompt's image lands.
  const lastPrompt = useRef(props.prompt);
  useEffect(() => {
    if (lastPrompt.current === props.prompt) return;
    lastPrompt.current = props.prompt;
    if (props.mode !== 'preview' || !props.prompt.trim() || !controller?.isLocalReady()) return;
    const timer = setTimeout(() => controller.generate(editor, shape.id, { quality: 'draft', keepSeed: true }), LIVE_PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [props.prompt, props.mode, controller, editor, shape.id]);

  return (
    <div style={styles.panel} data-testid="hg-shape" data-shape-id={shape.id} data-status={props.status} onPointerDown={stopEventPropagation}>
      <textarea
        style={styles.prompt}
        data-testid="hg-prompt"
        aria-label="Prompt"
        placeholder="Describe the image…"
        value={props.prompt}
        onChange={(e) => update({ prompt: e.currentTarget.value })}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Enter' && (e.metaKey || e.ctrlKey) && props.prompt.trim()) start({ quality });
        }}
      />
      <div style={styles.row}>
        <fieldset aria-label="Mode" style={styles.toggle}>
          {MODES.map(({ mode, label }) => (
            <button
              key={mode}
              type="button"
              aria-pressed={props.mode === mode}
              data-testid={`hg-mode-${mode}`}
              style={styles.toggleButton(props.mode === mode)}
              onClick={() => update({ mode })}
            >
              {label}
            </button>
          ))}
        </fieldset>
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
      </div>
      {running && (
        <div
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(props.progress * 100)}
          style={styles.progressTrack}
          data-testid="hg-progress"
        >
          <div style={styles.progressFill(props.progress)} />
        </div>
      )}
      {props.status === 'error' ? (
        <div style={styles.row}>
          <span style={styles.error} data-testid="hg-error" role="alert">
            {props.statusText}
          </span>
          <button type="button" style={styles.secondary} data-testid="hg-retry" onClick={() => start({ quality, keepSeed: true })}>
            Retry
          </button>
        </div>
      ) : (
        <div style={styles.status} data-testid="hg-status" title={props.statusText}>
          {props.statusText}
        </div>
      )}
      <div style={styles.imageBox}>
        {imageSrc ? <img src={imageSrc} alt={props.prompt} style={styles.image} data-testid="hg-image" draggable={false} decoding="async" /> : null}
      </div>
      {props.assetId && (
        <div style={styles.row}>
          <span style={styles.badge} data-testid="hg-result" data-source={props.source ?? ''}>
            {props.resultLabel} · {formatUsd(props.costUsd)}
          </span>
          {props.quality === 'draft' && !running && (
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
      )}
    </div>
  );
});
