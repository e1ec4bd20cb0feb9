import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { hybridgenBinary, pagesDir } from './paths.js';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Directory served as the web app. Default: the built test pages. */
  readonly webDir?: string | null;
  /** Send COOP/COEP (cross-origin isolation). Default true, as in production. */
  readonly crossOriginIsolation?: boolean;
  /** More `hybridgen serve` flags. Without `-db`, the server gets a ledger of its own in a temp folder. */
  readonly args?: readonly string[];
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Milliseconds to wait for the server to listen. Default 20 s. */
  readonly startTimeoutMs?: number;
}

/** A running `hybridgen serve` process on a loopback port. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every line the server logged so far (stderr and stdout). */
  readonly logs: readonly string[];
  readonly process: ChildProcess;
  /** Sends SIGTERM and waits for a graceful exit. */
  stop(): Promise<void>;
}

/** A ledger path in a fresh temp folder. */
function tempLedgerPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'hybridgen-db-')), 'ledger.db');
}

/**
 * Starts the real Go server (`hybridgen serve`) on a free loopback port and
 * resolves once it prints the URL it listens on.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const args = ['serve', '-addr', '127.0.0.1:0', '-log-format', 'json'];
  const webDir = options.webDir === undefined ? pagesDir : options.webDir;
  if (webDir) args.push('-web-dir', webDir);
  if (options.crossOriginIsolation === false) args.push('-cross-origin-isolation=false');
  args.push(...(options.args ?? []));
  // Never the default `data/hybridgen.db` under the working directory: each server its own ledger.
  if (!args.includes('-db')) args.push('-db', tempLedgerPath());
  const child = spawn(hybridgenBinary(), args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`hybridgen serve did not start within ${options.startTimeoutMs ?? 20_000} ms:\n${logs.join('\n')}`)),
      options.startTimeoutMs ?? 20_000,
    );
    const onLine = (line: string): void => {
      logs.push(line);
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hybridgen serve exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  });
  return {
    url,
    logs,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
