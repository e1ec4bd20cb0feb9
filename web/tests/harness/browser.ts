import { type Browser, type BrowserContext, type ConsoleMessage, chromium, type Page } from 'playwright-core';

/** Debian's Chromium; `make test` installs it when missing. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags every test browser gets (no network chatter, no sandbox as root). */
export const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** Options of {@link launchChromium}. */
export interface LaunchOptions {
  /** Launch with `--enable-unsafe-webgpu` (SwiftShader adapter here). */
  readonly webgpu: boolean;
}

/** Launches headless Chromium with WebGPU on or off. */
export async function launchChromium(options: LaunchOptions): Promise<Browser> {
  const args: string[] = [...BASE_FLAGS];
  if (options.webgpu) args.push('--enable-unsafe-webgpu');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
}

/** What went wrong in a page: console errors, uncaught errors, WebGPU validation errors. */
export interface PageProblems {
  readonly consoleErrors: string[];
  readonly pageErrors: string[];
  /** Console lines that report a WebGPU validation or device error (the JSEP silent-wrong mode shows only here). */
  readonly gpuErrors: string[];
}

const GPU_ERROR = /webgpu|validation error|GPUValidationError|\[Invalid |device (was )?lost|WGSL/i;

/** Starts collecting the problems a page reports; read them after the test's actions. */
export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], gpuErrors: [] };
  page.on('console', (msg: ConsoleMessage) => {
    const text = msg.text();
    if ((msg.type() === 'error' || msg.type() === 'warning') && GPU_ERROR.test(text)) problems.gpuErrors.push(text);
    if (msg.type() === 'error') problems.consoleErrors.push(text);
  });
  page.on('pageerror', (error) => problems.pageErrors.push(`${error.name}: ${error.message}`));
  return problems;
}

/** A fresh context and page, with its problems watched. */
export async function openPage(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(url);
  return { context, page, problems };
}
