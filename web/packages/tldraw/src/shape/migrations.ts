import { createShapePropsMigrationIds, createShapePropsMigrationSequence } from 'tldraw';
import { IMAGE_GEN_SHAPE_TYPE } from './props.js';

/**
 * Versions of the image-generation shape's props. Add an id here (the next
 * integer) and a step to {@link imageGenShapeMigrations} whenever a prop is
 * added, renamed or reshaped, so documents saved by older versions still load.
 */
export const imageGenShapeVersions = createShapePropsMigrationIds(IMAGE_GEN_SHAPE_TYPE, {
  AddNegativePrompt: 1,
  RemoveRunState: 2,
});

/** Migrations of the image-generation shape's props, oldest first. */
export const imageGenShapeMigrations = createShapePropsMigrationSequence({
  sequence: [
    {
      id: imageGenShapeVersions.AddNegativePrompt,
      up(props: Record<string, unknown>) {
        props.negativePrompt = '';
      },
      down(props: Record<string, unknown>) {
        delete props.negativePrompt;
      },
    },
    {
      // Status, progress and status text moved to the controller: they were run state, and a
      // reload left shapes "generating" forever.
      id: imageGenShapeVersions.RemoveRunState,
      up(props: Record<string, unknown>) {
        delete props.status;
        delete props.progress;
        delete props.statusText;
      },
      down(props: Record<string, unknown>) {
        props.status = props.assetId ? 'done' : 'idle';
        props.progress = 0;
        props.statusText = '';
      },
    },
  ],
});
