// The upscaler's dedicated worker (core's imaging over the shared RPC module).
// ORT's wasm is self-hosted: Vite emits it with the app, so it works offline.
import { serveUpscaler } from '@hybridgen/core';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

serveUpscaler(self as unknown as Parameters<typeof serveUpscaler>[0], { runtime: { wasmPaths: { wasm: wasmUrl } } });
