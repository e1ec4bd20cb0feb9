// The background remover's dedicated worker (core's imaging over the shared RPC module).
// ORT's wasm is self-hosted: Vite emits it with the app, so it works offline.
import { serveSegmenter } from '@hybridgen/core';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

serveSegmenter(self as unknown as Parameters<typeof serveSegmenter>[0], { runtime: { wasmPaths: { wasm: wasmUrl } } });
