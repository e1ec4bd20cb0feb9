import { blobToDataUrl } from '@hybridgen/core';
import { BaseBoxShapeUtil, HTMLContainer, type SvgExportContext, type TLAssetId } from 'tldraw';
import { ImageGenPanel } from './ImageGenPanel.js';
import { imageGenShapeMigrations } from './migrations.js';
import { defaultImageGenProps, IMAGE_GEN_SHAPE_TYPE, type ImageGenShape, imageGenShapeProps } from './props.js';

/** Height of the prompt line under the image in an export. */
const CAPTION_HEIGHT = 24;

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

  /** Exports the image (inlined as a data URL, so the SVG stands alone) with its prompt under it. */
  override async toSvg(shape: ImageGenShape, ctx: SvgExportContext) {
    const { w, h, prompt, assetId } = shape.props;
    const url = assetId ? await ctx.resolveAssetUrl(assetId as TLAssetId, w) : null;
    const href = url && !url.startsWith('data:') ? await blobToDataUrl(await (await fetch(url)).blob()) : url;
    const imageHeight = Math.max(0, h - CAPTION_HEIGHT);
    return (
      <g>
        <rect width={w} height={h} rx={10} fill="#ffffff" stroke="#dddddd" />
        {href ? <image href={href} x={0} y={0} width={w} height={imageHeight} preserveAspectRatio="xMidYMid meet" /> : null}
        <text x={10} y={h - 8} fontSize={12} fill="#1d1d1d" fontFamily="sans-serif">
          {prompt.length > 60 ? `${prompt.slice(0, 59)}…` : prompt}
        </text>
      </g>
    );
  }
}
