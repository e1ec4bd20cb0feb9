// The background remover's dedicated module worker, as an app would write it: ORT's wasm is self-hosted through Vite's ?url.
import { serveSegmenter } from '@hybridgen/core';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

serveSegmenter(self as unknown as Parameters<typeof serveSegmenter>[0], { runtime: { wasmPaths: { wasm: wasmUrl } } });
