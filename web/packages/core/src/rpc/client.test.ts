// The rpc client and server against a real worker thread (Node's worker_threads):
// request ids, progress, abort, timeouts, crashes, transfer lists, revived errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRpcClient, type RpcClient } from './client.js';
import { CallTimeoutError, WorkerCrashedError } from './errors.js';
import { type FixtureApi, FixtureError } from './testing/fixture-api.js';
import { NodeWorker } from './testing/node-worker.js';

let dir = '';
let script = '';
const workers: NodeWorker[] = [];
let client: RpcClient<FixtureApi, string> | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hybridgen-rpc-'));
  script = join(dir, 'fixture.worker.mjs');
  const input = fileURLToPath(new URL('./testing/fixture.worker.ts', import.meta.url));
  await build({ input, platform: 'node', logLevel: 'silent', output: { file: script, format: 'esm' } });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(() => {
  client?.dispose();
  client = null;
});

function start(
  options: { timeouts?: Partial<Record<keyof FixtureApi & string, number>>; restartOnTimeout?: boolean; crashes?: Error[]; events?: string[] } = {},
) {
  client = createRpcClient<FixtureApi, string>({
    name: 'the fixture worker',
    createWorker: () => {
      const w = new NodeWorker(script);
      workers.push(w);
      return w;
    },
    errors: { FixtureError },
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.restartOnTimeout ? { restartOnTimeout: true } : {}),
    onCrash: (error) => options.crashes?.push(error),
    onEvent: (event) => options.events?.push(event),
  });
  return client;
}

describe('rpc over a real worker thread', () => {
  it('answers concurrent calls by request id and relays events', async () => {
    const events: string[] = [];
    const rpc = start({ events });
    const answers = await Promise.all(['a', 'b', 'c'].map((text) => rpc.call('echo', { text })));
    expect(answers.map((a) => a.text)).toEqual(['a', 'b', 'c']);
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(events).toEqual(['started']);
    expect(rpc.running).toBe(true);
  });

  it('delivers progress in order before the result', async () => {
    const seen: number[] = [];
    const rpc = start();
    expect(await rpc.call('count', { n: 5 }, { onProgress: (p) => seen.push(p) })).toBe(5);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('an abort rejects with signal.reason itself and cancels in the worker with that reason', async () => {
    const rpc = start();
    const controller = new AbortController();
    const reason = new DOMException('the person cancelled', 'AbortError');
    const call = rpc.call('wait', {}, { signal: controller.signal });
    await rpc.call('echo', { text: 'sync' });
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    await expect.poll(() => rpc.call('lastCancel', {})).toEqual({ name: 'AbortError', message: 'the person cancelled' });
    // Already aborted: rejects at once with the reason, nothing sent.
    await expect(rpc.call('echo', { text: 'x' }, { signal: AbortSignal.abort('gone') })).rejects.toBe('gone');
  });

  it('with a grace period, an aborted call waits for the worker to stop, then rejects with the reason', async () => {
    const rpc = start();
    const controller = new AbortController();
    const call = rpc.call('wait', {}, { signal: controller.signal, abortGraceMs: 5_000 });
    await rpc.call('echo', { text: 'sync' });
    const started = performance.now();
    controller.abort('stop');
    await expect(call).rejects.toBe('stop');
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  it('a call past its timeout rejects with CallTimeoutError, cancels in the worker, and may restart it', async () => {
    const crashes: Error[] = [];
    const rpc = start({ timeouts: { wait: 100 }, restartOnTimeout: true, crashes });
    const error = await rpc.call('wait', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect(error).toMatchObject({ operation: 'wait', timeoutMs: 100 });
    expect(crashes[0]).toBeInstanceOf(WorkerCrashedError);
    await workers.at(-1)?.exited;
    const before = workers.length;
    expect((await rpc.call('echo', { text: 'again' })).text).toBe('again');
    expect(workers.length).toBe(before + 1);
  });

  it('an idle limit is re-armed by progress and fires when the worker goes quiet', async () => {
    const rpc = start();
    await rpc.call('echo', { text: 'warm' });
    // 800 ms in all, a message every 100 ms: a 500 ms idle limit never fires.
    expect(await rpc.call('tick', { everyMs: 100, times: 8 }, { idleTimeoutMs: 500 })).toBe(8);
    const error = await rpc.call('tick', { everyMs: 3_000, times: 2 }, { idleTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect((error as Error).message).toBe('tick sent nothing within 300 ms');
  });

  it('a dying worker rejects every pending call with WorkerCrashedError; the next call starts a new one', async () => {
    const crashes: Error[] = [];
    const rpc = start({ crashes });
    const id = (await rpc.call('echo', { text: '' })).id;
    const a = rpc.call('wait', {});
    const b = rpc.call('crash', {});
    await expect(a).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(b).rejects.toThrow(/the fixture worker died: .*boom/);
    expect(crashes).toHaveLength(1);
    const next = await rpc.call('echo', { text: 'after' });
    expect(next.id).not.toBe(id);
  });

  it('terminate and dispose reject pending calls; a disposed client refuses new ones', async () => {
    const rpc = start();
    const pending = rpc.call('wait', {});
    await rpc.call('echo', { text: 'sync' });
    rpc.terminate();
    await expect(pending).rejects.toThrow('the fixture worker was terminated');
    expect(rpc.running).toBe(false);
    rpc.dispose();
    await expect(rpc.call('echo', { text: 'x' })).rejects.toThrow('the fixture worker is disposed');
  });

  it('moves transferred buffers both ways', async () => {
    const rpc = start();
    const buffer = new Uint8Array([10, 20, 30, 40]).buffer;
    const answer = await rpc.call('sum', { buffer }, { transfer: [buffer] });
    expect(buffer.byteLength).toBe(0);
    expect(answer.sum).toBe(100);
    expect([...new Uint8Array(answer.buffer)]).toEqual([1, 2, 3]);
  });

  it("revives the worker's errors as their registered class, with fields, cause and stack", async () => {
    const rpc = start();
    const error = await rpc.call('fail', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FixtureError);
    expect(error).toMatchObject({ name: 'FixtureError', message: 'it failed', code: 'E_FIXTURE' });
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect((error as Error).cause).toMatchObject({ name: 'RangeError', message: 'the cause' });
    expect((error as Error).stack).toContain('fixture.worker');
  });
});
