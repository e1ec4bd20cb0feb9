import { useState } from 'react';
import type { Services } from '../services.js';
import { CostPanel } from './CostPanel.js';
import { ModelPanel } from './ModelPanel.js';

const box = {
  width: 280,
  margin: 8,
  padding: 10,
  display: 'grid',
  gap: 10,
  background: 'var(--color-panel, #fff)',
  borderRadius: 10,
  boxShadow: 'var(--shadow-2, 0 1px 4px rgba(0,0,0,.15))',
  pointerEvents: 'all',
  fontFamily: 'inherit',
} as const;

/** The panel at the top right: the local model and what images cost. */
export function SidePanel({ services }: { services: Services }) {
  const [open, setOpen] = useState(true);
  return (
    <div style={box} data-testid="hg-side-panel">
      <button type="button" onClick={() => setOpen(!open)} style={{ justifySelf: 'end', fontSize: 11 }} aria-expanded={open}>
        {open ? 'Hide' : 'Model & cost'}
      </button>
      {open && (
        <>
          <ModelPanel services={services} />
          <CostPanel client={services.client} events={services.events} />
        </>
      )}
    </div>
  );
}
