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
  const { join } = await import('node:path');
  const { buildDir, repoRoot } = await import('./paths.js');
  const dir = process.env.HYBRIDGEN_SCREENSHOTS === '1' ? join(repoRoot, 'docs/screenshots') : join(buildDir, 'screenshots');
  await shape.screenshot({ path: join(dir, `${name}.png`), animations: 'disabled' });
}
