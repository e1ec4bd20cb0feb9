// Debian's Firefox ESR behind the driver adapter (driver.ts), through puppeteer-core over
// WebDriver BiDi. WebGPU on = three prefs plus Mesa 25 lavapipe in the browser's environment:
// an adapter with shader-f16 (`make lavapipe` installs it).

import { existsSync } from 'node:fs';
import { lavapipeEnv, lavapipePaths } from '@hybridgen/dawn-f16/lavapipe';
import puppeteer, { type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'puppeteer-core';
import type { PageProblems } from './browser.js';
import type { TestBrowser, TestContext, TestLaunchOptions, TestPage } from './driver.js';

/** Debian's Firefox ESR; `make test` installs it when missing. */
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** Thrown when Firefox cannot be given what a test asked for (no binary, no lavapipe for WebGPU). */
export class FirefoxSetupError extends Error {
  override readonly name = 'FirefoxSetupError';
}

const GPU_ERROR = /webgpu|validation error|GPUValidationError|\[Invalid |device (was )?lost|WGSL/i;

/** The prefs every test Firefox gets, plus WebGPU's and the quota's when asked for. */
export function firefoxPrefs(options: TestLaunchOptions): Record<string, unknown> {
  const prefs: Record<string, unknown> = {
    // WebGPU is off by default on Linux: these three turn it on over any Vulkan device (lavapipe here).
    'dom.webgpu.enabled': options.webgpu,
    'gfx.webgpu.ignore-blocklist': options.webgpu,
    'gfx.webgpu.force-enabled': options.webgpu,
    // No network chatter beyond the test server.
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
  };
  if (options.originQuotaBytes !== undefined) {
    // The quota manager's global limit in KiB; an origin's group limit is derived from it.
    prefs['dom.quotaManager.temporaryStorage.fixedLimit'] = Math.max(1, Math.floor(options.originQuotaBytes / 1024));
  }
  return prefs;
}

/** The browser's environment: lavapipe's Vulkan ICD and loader when WebGPU is on. */
function firefoxEnv(options: TestLaunchOptions): NodeJS.ProcessEnv {
  if (!options.webgpu) return { ...process.env };
  const paths = lavapipePaths();
  if (!existsSync(paths.icdJson)) throw new FirefoxSetupError(`Firefox WebGPU needs Mesa 25 lavapipe in ${paths.dir}: run make lavapipe`);
  return { ...process.env, ...lavapipeEnv(paths) };
}

/** Launches headless Firefox ESR with WebGPU on (lavapipe, shader-f16) or off. */
export async function launchFirefox(options: TestLaunchOptions): Promise<TestBrowser> {
  if (!existsSync(FIREFOX_PATH)) throw new FirefoxSetupError(`no Firefox at ${FIREFOX_PATH}: run make firefox`);
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: firefoxPrefs(options),
    env: firefoxEnv(options),
    protocolTimeout: 300_000,
  });
  return firefoxBrowser(browser, await browser.version());
}

function firefoxBrowser(browser: Browser, version: string): TestBrowser {
  return {
    name: 'firefox',
    version,
    async newContext() {
      return firefoxContext(await browser.createBrowserContext());
    },
    close: () => browser.close(),
  };
}

function firefoxContext(context: BrowserContext): TestContext {
  const pages: Page[] = [];
  let offline = false;
  return {
    async newPage() {
      const page = await context.newPage();
      // Playwright's default, so a layout (the canvas, a drawn shape's panel) fits the same way in both.
      await page.setViewport({ width: 1280, height: 720 });
      pages.push(page);
      if (offline) await page.setOfflineMode(true);
      return firefoxPage(page);
    },
    async setOffline(value) {
      offline = value;
      await Promise.all(pages.map((p) => p.setOfflineMode(value)));
    },
    close: () => context.close(),
  };
}

/** Collects what a Firefox page reports, as `watchPage` does for Chromium. */
function watchFirefoxPage(page: Page): PageProblems {
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], gpuErrors: [] };
  page.on('console', (msg: ConsoleMessage) => {
    const text = msg.text();
    const type = msg.type();
    if ((type === 'error' || type === 'warn') && GPU_ERROR.test(text)) problems.gpuErrors.push(text);
    if (type === 'error') problems.consoleErrors.push(text);
  });
  page.on('pageerror', (error: unknown) => {
    problems.pageErrors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  });
  return problems;
}

function firefoxPage(page: Page): TestPage {
  const problems = watchFirefoxPage(page);
  return {
    problems,
    async goto(url) {
      await page.goto(url);
    },
    async reload() {
      await page.reload();
    },
    evaluate: <R, A>(fn: (arg: A) => R | Promise<R>, arg?: A) => page.evaluate(fn as unknown as (arg: unknown) => R, arg as unknown) as Promise<R>,
    async waitForFunction(fn, arg, opts) {
      await page.waitForFunction(fn as (arg: unknown) => unknown, { timeout: opts?.timeoutMs ?? 60_000, polling: 50 }, arg);
    },
    async click(selector) {
      await page.locator(selector).click();
    },
    clickAt: (x, y) => page.mouse.click(x, y),
    async fill(selector, text) {
      // Typed, as a person would: puppeteer's fill sets `value` directly over BiDi, which React's
      // controlled inputs never see (no onChange).
      const handle = await page.locator(selector).waitHandle();
      try {
        await handle.click();
        await handle.evaluate((el) => (el as HTMLInputElement | HTMLTextAreaElement).select());
        if (text === '') await page.keyboard.press('Backspace');
        else await page.keyboard.type(text);
      } finally {
        await handle.dispose();
      }
    },
  };
}
