import { useState } from 'react';
import type { Services } from '../services.js';
import { CostPanel } from './CostPanel.js';
import { ModelPanel } from './ModelPanel.js';

const box = {
  position: 'absolute',
  left: 8,
  bottom: 52,
  zIndex: 'var(--tl-layer-panels, 300)',
  maxHeight: 'calc(100% - 110px)',
  overflowY: 'auto',
  width: 280,
  padding: 10,
  display: 'grid',
  gap: 10,
  background: 'var(--color-panel, #fff)',
  borderRadius: 10,
  boxShadow: 'var(--shadow-2, 0 1px 4px rgba(0,0,0,.15))',
  pointerEvents: 'all',
  fontFamily: 'inherit',
} as const;

/** The panel at the bottom left, clear of tldraw's own panels (style panel top right, menus top left): the local model and what images cost. */
export function SidePanel({ services }: { services: Services }) {
  const [open, setOpen] = useState(true);
  return (
    <div style={box} data-testid="hg-side-panel">
      <button type="button" onClick={() => setOpen(!open)} style={{ justifySelf: 'start', fontSize: 11 }} aria-expanded={open}>
        {open ? 'Hide' : 'Model & cost'}
      </button>
      {open && (
        <>
          <ModelPanel services={services} />
          <CostPanel client={services.client} events={services.events} drafts={services.drafts} />
        </>
      )}
    </div>
  );
}
