// The engine's dedicated module worker, as an app would write it: ORT's wasm is self-hosted through Vite's ?url.
import { serveEngine } from '@hybridgen/core';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

serveEngine(self as unknown as Parameters<typeof serveEngine>[0], { runtime: { wasmPaths: { wasm: wasmUrl } } });
