/**
 * `@hybridgen/tldraw`: hybridgen on a tldraw canvas.
 *
 * @packageDocumentation
 */

/** The tldraw shape type of hybridgen's image-generation shape. */
export const IMAGE_GEN_SHAPE_TYPE = 'hybridgen-image';
