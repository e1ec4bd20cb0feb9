import { describe, expect, it } from 'vitest';
import type { RouteProgress } from '../router/types.js';
import { SharedPreparation } from './preparation.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SharedPreparation', () => {
  it('runs one preparation for every caller that asks while it runs', async () => {
    const shared = new SharedPreparation();
    const gate = deferred();
    let starts = 0;
    const work = async () => {
      starts++;
      await gate.promise;
    };
    const a = shared.run(512, work);
    const b = shared.run(512, work);
    expect(shared.busy).toBe(true);
    gate.resolve();
    await Promise.all([a, b]);
    expect(starts).toBe(1);
    expect(shared.snapshot.state).toBe('ready');
    expect(shared.busy).toBe(false);
  });

  it('reports the load stage with a growing elapsed time to a waiting caller while the load phase runs', async () => {
    const shared = new SharedPreparation();
    const gate = deferred();
    const seen: RouteProgress[] = [];
    const run = shared.run(
      512,
      async (_signal, report) => {
        report('loading', null, null);
        await gate.promise;
      },
      { onProgress: (p) => seen.push(p) },
    );
    await new Promise((r) => setTimeout(r, 300));
    gate.resolve();
    await run;
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every((p) => p.source === 'local' && p.phase === 'loading' && p.stage?.kind === 'load')).toBe(true);
    const elapsed = seen.map((p) => (p.stage?.kind === 'load' ? p.stage.elapsedMs : -1));
    expect(elapsed.at(-1)).toBeGreaterThan(elapsed[0] ?? 0);
    expect(elapsed.at(-1)).toBeGreaterThanOrEqual(200);
  });

  it('aborts the shared work only when every waiting caller has aborted', async () => {
    const shared = new SharedPreparation();
    let workSignal: AbortSignal | null = null;
    const work = (signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        workSignal = signal;
        signal.addEventListener('abort', () => reject(signal.reason));
        setTimeout(resolve, 200);
      });
    const first = new AbortController();
    const a = shared.run(512, work, { signal: first.signal });
    const b = shared.run(512, work);
    first.abort(new Error('user cancelled'));
    await expect(a).rejects.toThrow('user cancelled');
    expect((workSignal as AbortSignal | null)?.aborted).toBe(false);
    await b;
    expect(shared.snapshot.state).toBe('ready');
  });

  it('lets a later call start again after a failure, and says why in the snapshot', async () => {
    const shared = new SharedPreparation();
    await expect(
      shared.run(512, async () => {
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(shared.snapshot).toMatchObject({ state: 'failed', error: 'disk full' });
    await shared.run(512, async () => {});
    expect(shared.snapshot.state).toBe('ready');
  });
});
