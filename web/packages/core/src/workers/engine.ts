/**
 * Worker entry of the local engine (`@hybridgen/core/workers/engine`): `serveEngine(self)`.
 * ORT's WebAssembly is found next to onnxruntime-web's module, where the bundler emitted it
 * (self-hosted, no CDN). An app that serves it elsewhere writes its own entry with
 * `serveEngine(self, { runtime: { wasmPaths } })`.
 *
 * @packageDocumentation
 */

import { type RpcScope, serveEngine } from '../index.js';

serveEngine(self as unknown as RpcScope);
