import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { type LaunchOptions, launchChromium } from './browser.js';
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
