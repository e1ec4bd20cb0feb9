import type { Editor } from 'tldraw';
import { IMAGE_GEN_SHAPE_TYPE, type ImageGenShape, type ImageGenStatus } from '../shape/props.js';

const RUNNING: ReadonlySet<ImageGenStatus> = new Set(['downloading', 'loading', 'queued', 'generating']);

/**
 * Shapes saved while a generation ran come back from storage still "running",
 * though nothing runs after a reload. Marks them interrupted (keeping any image
 * they show) so their Generate and Retry buttons work again. Call on mount.
 */
export function settleInterruptedShapes(editor: Editor): number {
  const stale = editor
    .getCurrentPageShapes()
    .filter((s): s is ImageGenShape => s.type === IMAGE_GEN_SHAPE_TYPE && RUNNING.has((s as ImageGenShape).props.status));
  if (stale.length === 0) return 0;
  editor.run(
    () =>
      editor.updateShapes<ImageGenShape>(
        stale.map((s) => ({
          id: s.id,
          type: IMAGE_GEN_SHAPE_TYPE,
          props: { status: s.props.assetId ? 'done' : 'idle', progress: 0, statusText: 'Interrupted: the page was reloaded' },
        })),
      ),
    { history: 'ignore' },
  );
  return stale.length;
}
