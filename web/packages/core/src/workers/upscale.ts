/**
 * Worker entry of the upscaler (`@hybridgen/core/workers/upscale`): `serveUpscaler(self)`.
 * ORT's WebAssembly is found next to onnxruntime-web's module, where the bundler emitted it.
 *
 * @packageDocumentation
 */

import { type RpcScope, serveUpscaler } from '../index.js';

serveUpscaler(self as unknown as RpcScope);
