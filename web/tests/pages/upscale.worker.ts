// The upscaler's dedicated module worker, as an app would write it: ORT's wasm is self-hosted through Vite's ?url.
import { serveUpscaler } from '@hybridgen/core';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

serveUpscaler(self as unknown as Parameters<typeof serveUpscaler>[0], { runtime: { wasmPaths: { wasm: wasmUrl } } });
