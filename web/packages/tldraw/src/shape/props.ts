import { type RecordProps, T, type TLShape } from 'tldraw';

/** The tldraw shape type of hybridgen's image-generation shape. */
export const IMAGE_GEN_SHAPE_TYPE = 'hybridgen-image';

/** The three-way toggle: Auto, Quick Preview (local draft) and High Quality (cloud final). */
export type ImageGenMode = 'auto' | 'preview' | 'hq';

/**
 * The props of an image-generation shape: document data only (what to make and what was made).
 * Run state (status, progress, words) lives in the controller, so a progress tick never changes
 * the document and a reload has nothing to repair.
 */
export interface ImageGenShapeProps {
  w: number;
  h: number;
  prompt: string;
  /** What the image should not show. */
  negativePrompt: string;
  mode: ImageGenMode;
  /** Pixel size of the image to generate. */
  imageWidth: number;
  imageHeight: number;
  /** The seed of the shown image, or `null` before the first one (random then). */
  seed: number | null;
  /** Where the shown image was made. */
  source: 'local' | 'cloud' | null;
  /** The shown image's quality: a draft can be rendered again in HQ. */
  quality: 'draft' | 'final' | null;
  /** The tldraw image asset holding the result (its file lives in the asset store, not here). */
  assetId: string | null;
  /** A short label: where it ran and what it cost. */
  resultLabel: string;
  costUsd: number;
}

declare module 'tldraw' {
  export interface TLGlobalShapePropsMap {
    [IMAGE_GEN_SHAPE_TYPE]: ImageGenShapeProps;
  }
}

/** The image-generation shape record. */
export type ImageGenShape = TLShape<typeof IMAGE_GEN_SHAPE_TYPE>;

function multipleOf8(n: number): void {
  if (n % 8 !== 0) throw new Error(`image sizes must be multiples of 8, got ${n}`);
}

/** Validators the store runs on every write, so bad data never lands in a document. */
export const imageGenShapeProps: RecordProps<ImageGenShape> = {
  w: T.nonZeroNumber,
  h: T.nonZeroNumber,
  prompt: T.string,
  negativePrompt: T.string,
  mode: T.literalEnum('auto', 'preview', 'hq'),
  imageWidth: T.nonZeroInteger.check(multipleOf8),
  imageHeight: T.nonZeroInteger.check(multipleOf8),
  seed: T.integer.nullable(),
  source: T.literalEnum('local', 'cloud').nullable(),
  quality: T.literalEnum('draft', 'final').nullable(),
  assetId: T.string.nullable(),
  resultLabel: T.string,
  costUsd: T.number,
};

/** Props of a new shape. */
export function defaultImageGenProps(): ImageGenShapeProps {
  return {
    w: 320,
    h: 420,
    prompt: '',
    negativePrompt: '',
    mode: 'auto',
    imageWidth: 512,
    imageHeight: 512,
    seed: null,
    source: null,
    quality: null,
    assetId: null,
    resultLabel: '',
    costUsd: 0,
  };
}
