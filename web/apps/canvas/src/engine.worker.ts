// The local engine's dedicated worker: inference never runs on the main thread.
// ORT's wasm is self-hosted: Vite emits it with the app, so it works offline.
import { serveEngine } from '@hybridgen/core';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

serveEngine(self as unknown as Parameters<typeof serveEngine>[0], { runtime: { wasmPaths: { wasm: wasmUrl } } });
