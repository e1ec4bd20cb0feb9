/**
 * `@hybridgen/tldraw`: hybridgen on a tldraw canvas — the image-generation
 * shape, its tool and toolbar entry, and the controller that connects it to
 * `@hybridgen/core`'s router.
 *
 * @packageDocumentation
 */
export { actionErrorText, createImageActionController, type ImageActionControllerOptions } from './actions/image-actions.js';
export { type ImageSource, imageSourceOf } from './actions/source.js';
export type {
  ImageActionController,
  ImageActionMeta,
  ImageActionRun,
  ImageActionStatus,
  LocalEditRecord,
  SegmenterLike,
  UpscalerLike,
} from './actions/types.js';
export { ImageActionButtons, ImageActionsContextMenu, ImageActionsProvider, ImageActionsStatus, useImageActions } from './actions/ui.js';
export type { HybridAssetStore, HybridAssetStoreOptions } from './assets/asset-store.js';
export { assetSha256, createHybridAssetStore, sha256Hex } from './assets/asset-store.js';
export { ImageGenControllerProvider, useImageGenController } from './controller/context.js';
export { downloadProgressText, formatProgress, stageText } from './controller/progress-words.js';
export type { RouterControllerOptions } from './controller/router-controller.js';
export { createRouterController } from './controller/router-controller.js';
export type { RunStatus, ShapeRun } from './controller/run-state.js';
export type { GenerateIntent, ImageGenController } from './controller/types.js';
export { cleanMessage, engineName, errorText, resultText } from './controller/words.js';
export type { Img2ImgActions, Img2ImgActionsOptions, Img2ImgMeta, Img2ImgRun, StylePreset } from './img2img/actions.js';
export { createImg2ImgActions, DEFAULT_STRENGTH, STYLE_PRESETS } from './img2img/actions.js';
export { Img2ImgOverlay } from './img2img/Img2ImgOverlay.js';
export type { LensMeta, SketchLensOptions } from './img2img/sketch-lens.js';
export { createLensFrame, LENS_DEBOUNCE_MS, lensOf, watchSketchLenses } from './img2img/sketch-lens.js';
export { ImageGenPanel } from './shape/ImageGenPanel.js';
export { ImageGenShapeUtil } from './shape/ImageGenShapeUtil.js';
export { LIVE_PREVIEW_DEBOUNCE_MS } from './shape/live-preview.js';
export { imageGenShapeMigrations, imageGenShapeVersions } from './shape/migrations.js';
export type { ImageGenMode, ImageGenShape, ImageGenShapeProps } from './shape/props.js';
export { defaultImageGenProps, IMAGE_GEN_SHAPE_TYPE, imageGenShapeProps } from './shape/props.js';
export { ImageGenTool } from './tool/ImageGenTool.js';
export { placeWithoutOverlap } from './tool/placement.js';
export { imageGenComponents, imageGenUiOverrides } from './tool/ui.js';
