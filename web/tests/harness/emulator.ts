import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { hybridgenBinary } from './paths.js';

/** What reached the emulator (its `GET /_emulator/requests`). */
export interface EmulatorRequestLog {
  readonly counts: Readonly<Record<string, number>>;
  readonly cancels: readonly { readonly job_id: string; readonly status_before?: string; readonly status_after?: string }[];
  readonly jobs_created: number;
}

/** A running `hybridgen runpod-emulator` (the RunPod test double). */
export interface RunningEmulator {
  /** What a target's `base_url` should be, e.g. `http://127.0.0.1:4321/v2`. */
  readonly baseUrl: string;
  /** The control API root, e.g. `http://127.0.0.1:4321/_emulator`. */
  readonly controlUrl: string;
  readonly endpoint: string;
  readonly apiKey: string;
  /** Request counts per route and the cancels seen, from the control API. */
  requests(): Promise<EmulatorRequestLog>;
  stop(): Promise<void>;
}

/** Options of {@link startEmulator}. */
export interface StartEmulatorOptions {
  readonly apiKey?: string;
  readonly executionTime?: string;
  readonly coldStart?: string;
}

/** Starts the RunPod emulator on a free loopback port. */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const apiKey = options.apiKey ?? 'rp_test_emulator_key_do_not_leak_0123456789';
  const endpoint = 'sdxl-test';
  const args = [
    'runpod-emulator',
    '-addr',
    '127.0.0.1:0',
    '-endpoint',
    endpoint,
    '-cold-start',
    options.coldStart ?? '0s',
    '-execution-time',
    options.executionTime ?? '200ms',
  ];
  const child = spawn(hybridgenBinary(), args, { env: { ...process.env, HYBRIDGEN_EMULATOR_API_KEY: apiKey }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { baseUrl, controlUrl } = await new Promise<{ baseUrl: string; controlUrl: string }>((resolve, reject) => {
    let base = '';
    const timer = setTimeout(() => reject(new Error(`runpod-emulator did not start:\n${lines.join('\n')}`)), 20_000);
    const onLine = (line: string): void => {
      lines.push(line);
      base = /^base URL: (\S+)/.exec(line)?.[1] ?? base;
      const control = /^control:\s+(\S+)\/$/.exec(line)?.[1];
      if (base && control) {
        clearTimeout(timer);
        resolve({ baseUrl: base, controlUrl: control });
      }
    };
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', (l) => lines.push(l));
    void exited.then(() => reject(new Error(`runpod-emulator exited:\n${lines.join('\n')}`)));
  });
  return {
    baseUrl,
    controlUrl,
    endpoint,
    apiKey,
    async requests() {
      return (await (await fetch(`${controlUrl}/requests`)).json()) as EmulatorRequestLog;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Writes a targets file pointing at the emulator; the key stays in the environment variable it names. */
export function emulatorTargetsFile(emulator: RunningEmulator, pricePerSecondUsd = 0.00076): { path: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'hybridgen-targets-'));
  const path = join(dir, 'targets.json');
  writeFileSync(
    path,
    JSON.stringify({
      default: 'emulated-sdxl',
      targets: [
        {
          name: 'emulated-sdxl',
          endpoint_id: emulator.endpoint,
          api_key_env: 'HYBRIDGEN_TEST_RUNPOD_KEY',
          price_per_second_usd: pricePerSecondUsd,
          model: 'sdxl-1.0',
          base_url: emulator.baseUrl,
          estimate_seconds: 2,
        },
      ],
    }),
  );
  return { path, env: { HYBRIDGEN_TEST_RUNPOD_KEY: emulator.apiKey } };
}
