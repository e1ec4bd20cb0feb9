/**
 * `@hybridgen/tldraw`: hybridgen on a tldraw canvas — the image-generation
 * shape, its tool and toolbar entry, and the controller that connects it to
 * `@hybridgen/core`'s router.
 *
 * @packageDocumentation
 */
export { ImageGenControllerProvider, useImageGenController } from './controller/context.js';
export { settleInterruptedShapes } from './controller/interrupted.js';
export type { RouterControllerOptions } from './controller/router-controller.js';
export { createRouterController } from './controller/router-controller.js';
export type { GenerateIntent, ImageGenController } from './controller/types.js';
export { ImageGenPanel, LIVE_PREVIEW_DEBOUNCE_MS } from './shape/ImageGenPanel.js';
export { ImageGenShapeUtil } from './shape/ImageGenShapeUtil.js';
export { imageGenShapeMigrations, imageGenShapeVersions } from './shape/migrations.js';
export type { ImageGenMode, ImageGenShape, ImageGenShapeProps, ImageGenStatus } from './shape/props.js';
export { defaultImageGenProps, IMAGE_GEN_SHAPE_TYPE, imageGenShapeProps } from './shape/props.js';
export { ImageGenTool } from './tool/ImageGenTool.js';
export { imageGenComponents, imageGenUiOverrides } from './tool/ui.js';
