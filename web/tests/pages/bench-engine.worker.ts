// The benchmark's engine worker: the app's engine worker, with the WASM thread count taken from the
// worker's URL (`?threads=N`) so one build can measure several counts. None: the engine's default.
import { serveEngine } from '@hybridgen/core';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

const threads = new URL(self.location.href).searchParams.get('threads');
serveEngine(self as unknown as Parameters<typeof serveEngine>[0], {
  runtime: { wasmPaths: { wasm: wasmUrl }, ...(threads ? { numThreads: Number(threads) } : {}) },
});
