import type { ImageGenMode } from './props.js';
import { styles } from './styles.js';

const MODES: readonly { mode: ImageGenMode; label: string; title: string }[] = [
  { mode: 'auto', label: 'Auto', title: 'Drafts on this device, finals in the cloud' },
  { mode: 'preview', label: 'Quick Preview', title: 'On this device, free; a pause in typing starts a live preview' },
  { mode: 'hq', label: 'High Quality', title: 'In the cloud, through the server' },
];

/** The Auto / Quick Preview / High Quality toggle: one line, whatever the shape's width. */
export function ModeToggle({ mode, onChange }: { mode: ImageGenMode; onChange: (mode: ImageGenMode) => void }) {
  return (
    <fieldset aria-label="Mode" style={styles.toggle}>
      {MODES.map((m) => (
        <button
          key={m.mode}
          type="button"
          title={m.title}
          aria-pressed={mode === m.mode}
          data-testid={`hg-mode-${m.mode}`}
          style={styles.toggleButton(mode === m.mode)}
          onClick={() => onChange(m.mode)}
        >
          {m.label}
        </button>
      ))}
    </fieldset>
  );
}
