import { BaseBoxShapeTool } from 'tldraw';
import { IMAGE_GEN_SHAPE_TYPE } from '../shape/props.js';

/** Draws a new image-generation shape: click for the default size, or drag a box. */
export class ImageGenTool extends BaseBoxShapeTool {
  static override id = IMAGE_GEN_SHAPE_TYPE;
  static override initial = 'idle';
  override shapeType: typeof IMAGE_GEN_SHAPE_TYPE = IMAGE_GEN_SHAPE_TYPE;
}
