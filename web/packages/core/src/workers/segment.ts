/**
 * Worker entry of the background remover (`@hybridgen/core/workers/segment`): `serveSegmenter(self)`.
 * ORT's WebAssembly is found next to onnxruntime-web's module, where the bundler emitted it.
 *
 * @packageDocumentation
 */

import { type RpcScope, serveSegmenter } from '../index.js';

serveSegmenter(self as unknown as RpcScope);
