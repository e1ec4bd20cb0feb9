import type { BrowserContext, Page } from 'playwright-core';
import { openPage, type PageProblems } from '../harness/browser.js';
import type { Suite } from '../harness/fixtures.js';

/** A settled call from the page: the value, or the error as plain data. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: { name: string; message: string; stack?: string; details?: Record<string, unknown> } };

/** The value of a settled call, or a thrown Error that keeps the page's error name, message and stack. */
export function unwrap<T>(settled: Settled<T>): T {
  if (settled.ok) return settled.value;
  const error = new Error(`${settled.error.name}: ${settled.error.message}\n--- page stack ---\n${settled.error.stack ?? ''}`);
  throw error;
}

/** A page with one engine in it. */
export interface EnginePage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly problems: PageProblems;
}

/** Opens the test page and creates an engine in it (worker by default). */
export async function openEnginePage(suite: Suite, kind: 'worker' | 'page' = 'worker'): Promise<EnginePage> {
  const { page, context, problems } = await openPage(suite.browser, suite.server.url);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
  await page.evaluate((k) => window.hgEngine.create(k), kind);
  return { page, context, problems };
}

/** RGBA bytes from a summary's base64. */
export function rgba(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Problems that are not benign: everything in pageErrors and gpuErrors. */
export function seriousProblems(problems: PageProblems): string[] {
  return [...problems.pageErrors, ...problems.gpuErrors];
}
