// The canvas app driven through the driver adapter (driver.ts), as app.ts drives it through
// Playwright: open it, draw an image shape with the toolbar tool, read a shape's state.

import type { TestPage } from './driver.js';

/** Opens the embedded canvas app on a mirrored test model and waits until its services are up. */
export async function openCanvas(page: TestPage, url: string, model = 'test-tiny-sd'): Promise<void> {
  await page.goto(`${url}/?model=${model}`);
  await page.waitForFunction(() => document.documentElement.dataset.services === 'ready' && document.querySelector('.tl-canvas') !== null);
}

function shapeIds(page: TestPage): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('[data-testid="hg-shape"]')].map((el) => el.getAttribute('data-shape-id') ?? ''));
}

/** A drawn image shape: CSS selectors of its parts. */
export interface ShapeSelectors {
  readonly root: string;
  /** The selector of the element with `data-testid="<testId>"` inside the shape. */
  part(testId: string): string;
}

/** Draws an image-generation shape with the toolbar tool, as a person would. */
export async function drawImageShape(page: TestPage, at: { x: number; y: number } = { x: 420, y: 330 }): Promise<ShapeSelectors> {
  const before = new Set(await shapeIds(page));
  await page.click('[data-testid="tools.hybridgen-image"]');
  await page.clickAt(at.x, at.y);
  let id: string | undefined;
  for (let i = 0; i < 100 && !id; i++) {
    id = (await shapeIds(page)).find((s) => !before.has(s));
    if (!id) await new Promise((r) => setTimeout(r, 50));
  }
  if (!id) throw new Error('drawImageShape: no new image shape appeared');
  const root = `[data-testid="hg-shape"][data-shape-id="${id}"]`;
  return { root, part: (testId) => `${root} [data-testid="${testId}"]` };
}

/** A shape's state as the page shows it. */
export interface ShapeView {
  readonly status: string | null;
  readonly statusText: string;
  readonly error: string;
  readonly resultText: string;
  readonly resultSource: string | null;
  /** The result image's natural width (0 when there is none or it has not loaded). */
  readonly imageWidth: number;
}

/** Reads what a shape shows. */
export function readShape(page: TestPage, shape: ShapeSelectors): Promise<ShapeView> {
  return page.evaluate((root) => {
    const el = document.querySelector(root);
    const part = (id: string) => el?.querySelector(`[data-testid="${id}"]`) ?? null;
    const img = part('hg-image') as HTMLImageElement | null;
    return {
      status: el?.getAttribute('data-status') ?? null,
      statusText: part('hg-status')?.textContent ?? '',
      error: part('hg-error')?.textContent ?? '',
      resultText: part('hg-result')?.textContent ?? '',
      resultSource: part('hg-result')?.getAttribute('data-source') ?? null,
      imageWidth: img?.complete ? img.naturalWidth : 0,
    };
  }, shape.root);
}

/** Waits until the shape is done or failed, and returns what it shows. */
export async function settleShape(page: TestPage, shape: ShapeSelectors, timeoutMs = 120_000): Promise<ShapeView> {
  await page.waitForFunction(
    (root) => {
      const status = document.querySelector(root)?.getAttribute('data-status');
      return status === 'done' || status === 'error';
    },
    shape.root,
    { timeoutMs },
  );
  return readShape(page, shape);
}
