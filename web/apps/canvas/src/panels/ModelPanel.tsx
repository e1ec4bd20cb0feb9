import { type CachedModel, formatBytes } from '@hybridgen/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Services } from '../services.js';

/** The model: where it runs and why, download with progress, storage used, persistence, delete. */
export function ModelPanel({ services }: { services: Services }) {
  const { store, manifest, local } = services;
  const [cached, setCached] = useState<CachedModel | null>(null);
  const [usage, setUsage] = useState<number | null>(null);
  const [persisted, setPersisted] = useState<boolean | null>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  const reload = useCallback(async () => {
    const [list, use, persist] = await Promise.all([store.list(), store.usage(), navigator.storage?.persisted?.() ?? Promise.resolve(null)]);
    setCached(list.find((m) => m.modelId === manifest.id) ?? null);
    setUsage(use.modelBytes);
    setPersisted(persist);
    await local.refresh();
  }, [store, manifest.id, local]);

  useEffect(() => {
    const refresh = () => void reload().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    refresh();
    services.events.addEventListener('changed', refresh);
    return () => services.events.removeEventListener('changed', refresh);
  }, [reload, services.events]);

  const status = local.status();
  const download = async () => {
    abort.current = new AbortController();
    setError(null);
    try {
      await local.prepare({ signal: abort.current.signal, onProgress: (p) => setProgress(p.detail ?? p.phase) });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setProgress(null);
      abort.current = null;
      await reload();
    }
  };

  return (
    <div data-testid="hg-model-panel" style={{ display: 'grid', gap: 6, fontSize: 12 }}>
      <div>
        <strong>{manifest.displayName}</strong> · {status.backend === 'none' ? 'cannot run here' : status.backend}
        {status.warm ? ' · ready' : ''}
      </div>
      <div style={{ color: '#555' }} title={local.choice.reasons.join('\n')}>
        {local.choice.reasons[0]}
      </div>
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
      <div data-testid="hg-model-stored">
        {cached ? `Stored: ${formatBytes(cached.bytes)}` : 'Not downloaded'} · all models {formatBytes(usage ?? 0)} ·{' '}
        {persisted ? 'persistent storage' : 'storage may be cleared by the browser'}
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
          <button type="button" data-testid="hg-model-download" disabled={status.backend === 'none'} onClick={() => void download()}>
            {status.backend === 'none'
              ? 'Cannot run on this device'
              : status.warm
                ? 'Loaded'
                : cached
                  ? 'Load'
                  : `Download ${formatBytes(local.choice.variant?.totalBytes ?? 0)}`}
          </button>
        )}
        {cached && (
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
