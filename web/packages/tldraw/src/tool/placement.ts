import { Box, type Editor, type TLShapeId } from 'tldraw';

/** Space left between a new shape and the one it would have covered. */
export const PLACEMENT_GAP = 24;

/**
 * Moves a new shape to the right of any shape it lands on, until it covers none, so a click on a
 * busy canvas never hides an earlier image. Returns whether it moved.
 */
export function placeWithoutOverlap(editor: Editor, id: TLShapeId): boolean {
  const shape = editor.getShape(id);
  const start = editor.getShapePageBounds(id);
  if (!shape || !start) return false;
  const others = editor
    .getCurrentPageShapes()
    .filter((s) => s.id !== id)
    .map((s) => editor.getShapePageBounds(s.id))
    .filter((b): b is Box => b !== undefined);
  const bounds = start.clone();
  for (let tries = 0; tries < others.length; tries++) {
    const hit = others.filter((b) => Box.Collides(b, bounds));
    if (hit.length === 0) break;
    bounds.x = Math.max(...hit.map((b) => b.maxX)) + PLACEMENT_GAP;
  }
  if (bounds.x === start.x) return false;
  editor.updateShape({ id, type: shape.type, x: shape.x + (bounds.x - start.x) });
  return true;
}
