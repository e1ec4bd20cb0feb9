// What the GPU benchmark uses of @hybridgen/core, bundled for Node by build-engine.mjs.
export { detectCapabilities } from '../../../web/packages/core/src/capabilities/detect.js';
export { createInPageEngine } from '../../../web/packages/core/src/engine/index.js';
