import { BaseBoxShapeTool, type TLShapeId } from 'tldraw';
import { IMAGE_GEN_SHAPE_TYPE } from '../shape/props.js';
import { placeWithoutOverlap } from './placement.js';

/**
 * Draws a new image-generation shape: click for the default size (centred on the click), or drag
 * a box. A new shape never lands on another one: when the tool hands back to the select tool
 * (after a click or a drag alike) the shapes it made are moved off any they cover.
 */
export class ImageGenTool extends BaseBoxShapeTool {
  static override id = IMAGE_GEN_SHAPE_TYPE;
  static override initial = 'idle';
  override shapeType: typeof IMAGE_GEN_SHAPE_TYPE = IMAGE_GEN_SHAPE_TYPE;
  #created: TLShapeId[] = [];
  #stopWatching: (() => void) | null = null;

  override onEnter(): void {
    this.#created = [];
    this.#stopWatching = this.editor.sideEffects.registerAfterCreateHandler('shape', (shape) => {
      if (shape.type === IMAGE_GEN_SHAPE_TYPE) this.#created.push(shape.id);
    });
  }

  override onExit(): void {
    this.#stopWatching?.();
    this.#stopWatching = null;
    for (const id of this.#created) placeWithoutOverlap(this.editor, id);
    this.#created = [];
  }
}
