// The thin driver adapter: what cross-browser tests (`tests/firefox/`) need from a browser,
// implemented over playwright-core for Chromium (here) and puppeteer-core for Firefox
// (`firefox.ts`). Why two drivers and not one: web/tests/CONTEXT.md.

import type { Browser as PlaywrightBrowser, BrowserContext as PlaywrightContext, Page as PlaywrightPage } from 'playwright-core';
import { type LaunchOptions as ChromiumLaunchOptions, launchChromium, type PageProblems, watchPage } from './browser.js';

/** The browser engines the tests run in. */
export type BrowserName = 'chromium' | 'firefox';

/** Options of {@link launchTestBrowser}. */
export interface TestLaunchOptions extends ChromiumLaunchOptions {
  /**
   * Storage quota of the page's origin in bytes (Chromium: a CDP override per page before its first
   * navigation; Firefox: the quota manager's fixed limit, for the whole browser). Default: the browser's own.
   */
  readonly originQuotaBytes?: number;
}

/** One tab, driven the same way in either browser. */
export interface TestPage {
  /** Console errors, page errors and WebGPU errors seen so far. */
  readonly problems: PageProblems;
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Runs `fn(arg)` in the page and returns its (structured-clone-able) result. */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** Polls `fn(arg)` in the page until it returns a truthy value. */
  waitForFunction<A = undefined>(fn: (arg: A) => unknown, arg?: A, options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Clicks the first element matching a CSS selector once it is visible. */
  click(selector: string): Promise<void>;
  /** Clicks at page coordinates. */
  clickAt(x: number, y: number): Promise<void>;
  /** Replaces the value of the input or textarea matching a CSS selector, as typing would. */
  fill(selector: string, text: string): Promise<void>;
}

/** A browser context: its own storage, cookies and service workers. */
export interface TestContext {
  newPage(): Promise<TestPage>;
  /** Cuts the network of every page in the context (or restores it). */
  setOffline(offline: boolean): Promise<void>;
  close(): Promise<void>;
}

/** A launched browser. */
export interface TestBrowser {
  readonly name: BrowserName;
  /** The browser's own version string, e.g. `firefox/153.8.0`. */
  readonly version: string;
  newContext(): Promise<TestContext>;
  close(): Promise<void>;
}

/** The browser the cross-browser tests run in: `HYBRIDGEN_BROWSER` (the Firefox project sets `firefox`), default Chromium. */
export function testBrowserName(): BrowserName {
  const name = process.env.HYBRIDGEN_BROWSER ?? 'chromium';
  if (name !== 'chromium' && name !== 'firefox') throw new Error(`HYBRIDGEN_BROWSER must be chromium or firefox, not ${name}`);
  return name;
}

/** Launches the named browser behind the adapter. */
export async function launchTestBrowser(name: BrowserName, options: TestLaunchOptions): Promise<TestBrowser> {
  if (name === 'firefox') {
    const { launchFirefox } = await import('./firefox.js');
    return launchFirefox(options);
  }
  const browser = await launchChromium(options);
  return chromiumBrowser(browser, options);
}

function chromiumBrowser(browser: PlaywrightBrowser, options: TestLaunchOptions): TestBrowser {
  return {
    name: 'chromium',
    version: `chromium/${browser.version()}`,
    async newContext() {
      return chromiumContext(await browser.newContext(), options);
    },
    close: () => browser.close(),
  };
}

function chromiumContext(context: PlaywrightContext, options: TestLaunchOptions): TestContext {
  return {
    async newPage() {
      const page = await context.newPage();
      return chromiumPage(context, page, options);
    },
    setOffline: (offline) => context.setOffline(offline),
    close: () => context.close(),
  };
}

function chromiumPage(context: PlaywrightContext, page: PlaywrightPage, options: TestLaunchOptions): TestPage {
  const problems = watchPage(page);
  return {
    problems,
    async goto(url) {
      if (options.originQuotaBytes !== undefined) {
        const cdp = await context.newCDPSession(page);
        await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(url).origin, quotaSize: options.originQuotaBytes });
      }
      await page.goto(url);
    },
    async reload() {
      await page.reload();
    },
    evaluate: <R, A>(fn: (arg: A) => R | Promise<R>, arg?: A) => page.evaluate(fn as unknown as (arg: unknown) => R, arg as unknown) as Promise<R>,
    async waitForFunction(fn, arg, opts) {
      await page.waitForFunction(fn as (arg: unknown) => unknown, arg as unknown, { timeout: opts?.timeoutMs ?? 60_000, polling: 50 });
    },
    click: (selector) => page.locator(selector).first().click(),
    clickAt: (x, y) => page.mouse.click(x, y),
    fill: (selector, text) => page.locator(selector).first().fill(text),
  };
}
