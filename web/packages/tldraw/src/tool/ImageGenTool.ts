import { BaseBoxShapeTool, type TLShape } from 'tldraw';
import { IMAGE_GEN_SHAPE_TYPE } from '../shape/props.js';
import { placeWithoutOverlap } from './placement.js';

/** Draws a new image-generation shape: click for the default size, or drag a box; it never lands on another shape. */
export class ImageGenTool extends BaseBoxShapeTool {
  static override id = IMAGE_GEN_SHAPE_TYPE;
  static override initial = 'idle';
  override shapeType: typeof IMAGE_GEN_SHAPE_TYPE = IMAGE_GEN_SHAPE_TYPE;

  override onCreate(shape: TLShape | null): void {
    if (shape) placeWithoutOverlap(this.editor, shape.id);
  }
}
