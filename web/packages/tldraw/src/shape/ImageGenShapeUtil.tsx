import { BaseBoxShapeUtil, HTMLContainer } from 'tldraw';
import { ImageGenPanel } from './ImageGenPanel.js';
import { imageGenShapeMigrations } from './migrations.js';
import { defaultImageGenProps, IMAGE_GEN_SHAPE_TYPE, type ImageGenShape, imageGenShapeProps } from './props.js';

/** The image-generation shape: a prompt, a mode toggle, a progress bar and the result. */
export class ImageGenShapeUtil extends BaseBoxShapeUtil<ImageGenShape> {
  static override type = IMAGE_GEN_SHAPE_TYPE;
  static override props = imageGenShapeProps;
  static override migrations = imageGenShapeMigrations;

  getDefaultProps(): ImageGenShape['props'] {
    return defaultImageGenProps();
  }

  override canEdit(): boolean {
    return false;
  }

  override isAspectRatioLocked(): boolean {
    return false;
  }

  component(shape: ImageGenShape) {
    return (
      <HTMLContainer style={{ pointerEvents: 'all' }}>
        <ImageGenPanel shape={shape} />
      </HTMLContainer>
    );
  }

  getIndicatorPath(shape: ImageGenShape): Path2D {
    const path = new Path2D();
    path.roundRect(0, 0, shape.props.w, shape.props.h, 10);
    return path;
  }
}
