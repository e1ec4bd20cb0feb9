import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** Opens the embedded canvas app on a mirrored test model (default the tiny one) and waits until its services are up. */
export async function openApp(page: Page, url: string, model = 'test-tiny-sd'): Promise<void> {
  await page.goto(`${url}/?model=${model}`);
  await page.waitForFunction(() => document.documentElement.dataset.services === 'ready', undefined, { timeout: 60_000 });
  // tldraw preloads its fonts before it shows the canvas: slow on a loaded 2-core machine.
  await page.locator('.tl-canvas').waitFor({ state: 'visible', timeout: 90_000 });
}

function shapeIds(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid="hg-shape"]', (els) => els.map((el) => el.getAttribute('data-shape-id') ?? ''));
}

/** Draws an image-generation shape with the toolbar tool, as a person would, and returns the new shape's locator. */
export async function createImageShape(page: Page, at: { x: number; y: number } = { x: 640, y: 400 }) {
  const before = new Set(await shapeIds(page));
  await page.getByRole('button', { name: 'Generate image' }).first().click();
  await page.mouse.click(at.x, at.y);
  let id: string | undefined;
  for (let i = 0; i < 100 && !id; i++) {
    id = (await shapeIds(page)).find((s) => !before.has(s));
    if (!id) await page.waitForTimeout(50);
  }
  if (!id) throw new Error('createImageShape: no new image shape appeared');
  return page.locator(`[data-testid="hg-shape"][data-shape-id="${id}"]`);
}

/** Draws an image-generation shape, makes a Quick Preview of `prompt` in it and waits until it is done. */
export async function draftQuickPreview(page: Page, prompt: string): Promise<Locator> {
  const shape = await createImageShape(page);
  await shape.getByTestId('hg-prompt').fill(prompt);
  await shape.getByTestId('hg-mode-preview').click();
  await shape.getByTestId('hg-generate').click();
  await expect.poll(() => shape.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
  return shape;
}

/**
 * Saves a screenshot of a shape. With `HYBRIDGEN_SCREENSHOTS=1` it goes to `docs/screenshots/`
 * (the README shows them), else under `tests/.build/screenshots/`. Call it after the test has
 * asserted the state the picture shows.
 */
export async function snapShape(shape: import('playwright-core').Locator, name: string): Promise<void> {
  await shape.screenshot({ path: await screenshotPath(name), animations: 'disabled' });
}

/** Where a screenshot named `name` goes: `docs/screenshots/` with `HYBRIDGEN_SCREENSHOTS=1`, else the build folder. */
async function screenshotPath(name: string): Promise<string> {
  const { join } = await import('node:path');
  const { buildDir, repoRoot } = await import('./paths.js');
  const dir = process.env.HYBRIDGEN_SCREENSHOTS === '1' ? join(repoRoot, 'docs/screenshots') : join(buildDir, 'screenshots');
  return join(dir, `${name}.png`);
}

/**
 * Saves a screenshot of the canvas around some shapes (the camera zoomed to fit them, at most 100%)
 * and of the UI elements `include` names (such as a toolbar), like {@link snapShape}. The camera
 * stays where it was moved: call it after the test's assertions, or where a new view does no harm.
 */
export async function snapCanvas(page: Page, shapeIds: readonly string[], name: string, include: readonly Locator[] = []): Promise<void> {
  const rects = await page.evaluate((ids) => {
    const editor = (window as unknown as { editor: import('tldraw').Editor }).editor;
    const boxes = ids.map((id) => editor.getShapePageBounds(id as import('tldraw').TLShapeId)).filter((b) => b !== undefined);
    const x = Math.min(...boxes.map((b) => b.x));
    const y = Math.min(...boxes.map((b) => b.y));
    const page = { x, y, w: Math.max(...boxes.map((b) => b.maxX)) - x, h: Math.max(...boxes.map((b) => b.maxY)) - y };
    // Room at the top for the overlays tldraw shows there.
    editor.zoomToBounds(page, { inset: 96, targetZoom: 1 });
    const tl = editor.pageToScreen({ x: page.x, y: page.y });
    const br = editor.pageToScreen({ x: page.x + page.w, y: page.y + page.h });
    return { x: tl.x, y: tl.y, width: br.x - tl.x, height: br.y - tl.y };
  }, shapeIds);
  const boxes = [rects];
  for (const element of include) {
    const box = await element.boundingBox();
    if (box) boxes.push(box);
  }
  // Two frames for the new camera, then every image on the canvas decoded.
  await page.evaluate(
    () =>
      new Promise<void>((resolve) =>
        requestAnimationFrame(() =>
          requestAnimationFrame(async () => {
            await Promise.all([...document.querySelectorAll<HTMLImageElement>('.tl-canvas img')].map((img) => img.decode().catch(() => {})));
            resolve();
          }),
        ),
      ),
  );
  const pad = 12;
  const viewport = page.viewportSize() ?? { width: 1280, height: 720 };
  const x = Math.max(0, Math.min(...boxes.map((b) => b.x)) - pad);
  const y = Math.max(0, Math.min(...boxes.map((b) => b.y)) - pad);
  const clip = {
    x,
    y,
    width: Math.min(viewport.width, Math.max(...boxes.map((b) => b.x + b.width)) + pad) - x,
    height: Math.min(viewport.height, Math.max(...boxes.map((b) => b.y + b.height)) + pad) - y,
  };
  await page.screenshot({ path: await screenshotPath(name), clip, animations: 'disabled' });
}
