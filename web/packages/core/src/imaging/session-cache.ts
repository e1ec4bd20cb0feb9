/**
 * One ONNX session per (backend, model) in an imaging worker, created on the
 * first request and kept; a failed creation is forgotten so the next request
 * tries again. Shared by the upscaler's and the background remover's workers.
 */

import type * as Ort from 'onnxruntime-web/webgpu';
import { loadOrt, type RuntimeOptions } from '../engine/runtime/runtime.js';
import type { UpscaleBackend } from './upscale-api.js';

/** What a request names of its model: the execution provider, a stable key and the bytes. */
export interface SessionRequest {
  readonly backend: UpscaleBackend;
  readonly modelKey: string;
  readonly model: Blob;
}

/** Returns the session for a request, creating it once per backend and model key. */
export function createSessionCache(runtime?: RuntimeOptions): (req: SessionRequest) => Promise<Ort.InferenceSession> {
  const sessions = new Map<string, Promise<Ort.InferenceSession>>();
  return (req) => {
    const key = `${req.backend}:${req.modelKey}`;
    let found = sessions.get(key);
    if (!found) {
      found = loadOrt(runtime).then(async (ort) =>
        ort.InferenceSession.create(new Uint8Array(await req.model.arrayBuffer()), { executionProviders: [req.backend], graphOptimizationLevel: 'all' }),
      );
      found.catch(() => sessions.delete(key));
      sessions.set(key, found);
    }
    return found;
  };
}
