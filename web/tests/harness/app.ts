import type { Page } from 'playwright-core';

/** Opens the embedded canvas app on the tiny test model and waits until its services are up. */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/?model=test-tiny-sd`);
  await page.waitForFunction(() => document.documentElement.dataset.services === 'ready', undefined, { timeout: 60_000 });
  await page.locator('.tl-canvas').waitFor({ state: 'visible' });
}

/** Draws an image-generation shape with the toolbar tool, as a person would, and returns its locator. */
export async function createImageShape(page: Page, at: { x: number; y: number } = { x: 300, y: 200 }) {
  await page.getByRole('button', { name: 'Generate image' }).first().click();
  await page.mouse.click(at.x, at.y);
  const shape = page.getByTestId('hg-shape').last();
  await shape.waitFor({ state: 'visible' });
  return shape;
}
