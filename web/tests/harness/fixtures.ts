import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { type LaunchOptions, launchChromium } from './browser.js';
import { launchTestBrowser, type TestBrowser, type TestContext, type TestLaunchOptions, type TestPage, testBrowserName } from './driver.js';
import { type RunningServer, type StartServerOptions, startServer } from './server.js';

/** A server and a browser shared by the tests of one file. */
export interface Suite {
  readonly server: RunningServer;
  readonly browser: Browser;
}

/**
 * Starts the Go server and Chromium before the file's tests and stops both
 * after. The returned getter is valid inside tests.
 */
export function useSuite(options: LaunchOptions & { readonly server?: StartServerOptions }): () => Suite {
  let suite: Suite | undefined;
  beforeAll(async () => {
    const [server, browser] = await Promise.all([startServer(options.server), launchChromium(options)]);
    suite = { server, browser };
  });
  afterAll(async () => {
    await suite?.browser.close();
    await suite?.server.stop();
  });
  return () => {
    if (!suite) throw new Error('useSuite: the suite is not started (call it at the top of a describe)');
    return suite;
  };
}

/** A server and a browser (the one `HYBRIDGEN_BROWSER` names) behind the driver adapter, shared by one file's tests. */
export interface CrossSuite {
  readonly server: RunningServer;
  readonly browser: TestBrowser;
}

/** {@link useSuite} for the cross-browser tests (`tests/firefox/`): same lifecycle, the adapter's browser. */
export function useCrossSuite(options: TestLaunchOptions & { readonly server?: StartServerOptions }): () => CrossSuite {
  let suite: CrossSuite | undefined;
  beforeAll(async () => {
    const [server, browser] = await Promise.all([startServer(options.server), launchTestBrowser(testBrowserName(), options)]);
    suite = { server, browser };
  });
  afterAll(async () => {
    await suite?.browser.close();
    await suite?.server.stop();
  });
  return () => {
    if (!suite) throw new Error('useCrossSuite: the suite is not started (call it at the top of a describe)');
    return suite;
  };
}

/** A fresh context and page on `url`, once the test page says it is ready. */
export async function openTestPage(suite: CrossSuite, url = suite.server.url): Promise<{ context: TestContext; page: TestPage }> {
  const context = await suite.browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
  return { context, page };
}
