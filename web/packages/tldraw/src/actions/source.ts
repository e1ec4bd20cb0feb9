import type { Editor, TLImageShape, TLShape, TLShapeId } from 'tldraw';
import { IMAGE_GEN_SHAPE_TYPE, type ImageGenShape } from '../shape/props.js';

/** The picture of a shape an action can work on: its asset and the size it is shown at. */
export interface ImageSource {
  readonly assetId: string;
  readonly width: number;
  readonly height: number;
}

/**
 * The image shown by a shape: a tldraw `image` shape's asset (uncropped) at its size, or an
 * image-generation shape's result at the card's width. `null` for anything else.
 */
export function imageSourceOf(editor: Editor, shape: TLShape | undefined): ImageSource | null {
  if (shape?.type === 'image') {
    const { assetId, w, h } = (shape as TLImageShape).props;
    return assetId ? { assetId, width: w, height: h } : null;
  }
  if (shape?.type === IMAGE_GEN_SHAPE_TYPE) {
    const { assetId, w } = (shape as ImageGenShape).props;
    const asset = assetId ? editor.getAsset(assetId as TLImageShape['props']['assetId'] & string) : undefined;
    if (!assetId || asset?.type !== 'image' || !asset.props.w) return null;
    return { assetId, width: w, height: (w * asset.props.h) / asset.props.w };
  }
  return null;
}

/** The one selected shape when it shows an image, for the context menu. */
export function selectedImageShape(editor: Editor): TLShapeId | null {
  const selected = editor.getOnlySelectedShape();
  return selected && imageSourceOf(editor, selected) ? selected.id : null;
}
