import { type CachedModel, formatBytes, type StoreUsage } from '@hybridgen/core';
import { formatProgress } from '@hybridgen/tldraw';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useValue } from 'tldraw';
import type { Services } from '../services.js';
import { backendName, webgpuVerdict } from './backend-words.js';

const muted = { color: '#555' } as const;

/** What the server's owner can do to get real pictures instead of the demo model's noise. */
function DemoModelNote() {
  return (
    <div data-testid="hg-demo-note" style={{ padding: 6, borderRadius: 6, background: '#fef3c7', color: '#713f12' }}>
      <strong>Demo model, random weights: shows the pipeline, not pictures.</strong> For real pictures put SD-Turbo on the server: run{' '}
      <code>hybridgen models pull sd-turbo</code> where Hugging Face is reachable, or copy a mirror folder into its models folder (<code>data/models</code>).
    </div>
  );
}

function storageLine(cached: CachedModel | null, usage: StoreUsage | null, persisted: boolean | null): string {
  const parts = [cached ? `Stored: ${formatBytes(cached.bytes)}` : 'Not stored yet'];
  if (usage?.originQuotaBytes != null && usage.originUsageBytes != null) {
    parts.push(
      `${formatBytes(Math.max(0, usage.originQuotaBytes - usage.originUsageBytes))} free of ${formatBytes(usage.originQuotaBytes)} the browser grants`,
    );
  }
  parts.push(persisted ? 'kept (persistent storage)' : 'the browser may clear it when space runs low');
  return parts.join(' · ');
}

/** The model: where it runs and why, download with progress (its own or a shape's), storage and free space, delete. */
export function ModelPanel({ services }: { services: Services }) {
  const { store, manifest, local } = services;
  const [cached, setCached] = useState<CachedModel | null>(null);
  const [usage, setUsage] = useState<StoreUsage | null>(null);
  const [persisted, setPersisted] = useState<boolean | null>(null);
  const [ownProgress, setOwnProgress] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const shapeProgress = useValue('model preparing', () => services.preparing.get(), [services]);

  const reload = useCallback(async () => {
    const [list, use, persist] = await Promise.all([store.list(), store.usage(), navigator.storage?.persisted?.() ?? Promise.resolve(null)]);
    setCached(list.find((m) => m.modelId === manifest.id) ?? null);
    setUsage(use);
    setPersisted(persist);
    await local.refresh();
  }, [store, manifest.id, local]);

  useEffect(() => {
    const refresh = () => void reload().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    refresh();
    services.events.addEventListener('changed', refresh);
    return () => services.events.removeEventListener('changed', refresh);
  }, [reload, services.events]);
  // When a shape's download ends, the stored size and free space changed.
  const shapeWasPreparing = useRef(false);
  useEffect(() => {
    if (shapeWasPreparing.current && !shapeProgress) void reload();
    shapeWasPreparing.current = shapeProgress !== null;
  }, [shapeProgress, reload]);

  const status = local.status();
  const download = async () => {
    abort.current = new AbortController();
    setError(null);
    try {
      await local.prepare({ signal: abort.current.signal, onProgress: (p) => setOwnProgress(formatProgress(p)) });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setOwnProgress(null);
      abort.current = null;
      await reload();
    }
  };
  const shapeText = shapeProgress?.stage ? formatProgress(shapeProgress) : 'Preparing the model…';
  const progress = ownProgress ?? (shapeProgress ? shapeText : null);

  return (
    <div data-testid="hg-model-panel" style={{ display: 'grid', gap: 6, fontSize: 12 }}>
      <div>
        <strong>{manifest.displayName}</strong> · {status.backend === 'none' ? 'cannot run on this device' : `runs on ${backendName(status.backend)}`}
        {status.warm ? ' · ready' : ''}
      </div>
      {services.demoModel && <DemoModelNote />}
      <div style={muted} data-testid="hg-webgpu-reason">
        {webgpuVerdict(local.choice)}
      </div>
      {!local.choice.backend.startsWith('webgpu') && local.choice.reasons[0] && (
        <div style={muted} title={local.choice.reasons.join('\n')}>
          {local.choice.reasons[0]}
        </div>
      )}
      {local.choice.rejected.length > 0 && (
        // What this browser cannot do, in its own words (no WebGPU, no shader-f16, a software adapter, ...).
        <ul data-testid="hg-model-limits" style={{ color: '#555', margin: 0, paddingLeft: 16 }}>
          {local.choice.rejected.map((r) => (
            <li key={r.backend}>
              {r.backend}: {r.reason}
            </li>
          ))}
        </ul>
      )}
      <div data-testid="hg-model-stored" style={muted}>
        {progress ? 'Downloading now' : storageLine(cached, usage, persisted)}
      </div>
      {progress && <div data-testid="hg-model-progress">{progress}</div>}
      {error && (
        <div role="alert" style={{ color: '#b91c1c' }}>
          {error}
        </div>
      )}
      <div style={{ display: 'flex', gap: 6 }}>
        {abort.current ? (
          <button type="button" onClick={() => abort.current?.abort(new DOMException('download paused', 'AbortError'))}>
            Pause
          </button>
        ) : (
          !status.warm &&
          !shapeProgress &&
          status.backend !== 'none' && (
            <button type="button" data-testid="hg-model-download" onClick={() => void download()}>
              {cached ? 'Load now' : `Download ${formatBytes(local.choice.variant?.totalBytes ?? 0)}`}
            </button>
          )
        )}
        {cached && !progress && (
          <button
            type="button"
            data-testid="hg-model-delete"
            onClick={() => {
              void store.delete(manifest.id).then(reload, (e: unknown) => setError(String(e)));
            }}
          >
            Delete
          </button>
        )}
      </div>
    </div>
  );
}
