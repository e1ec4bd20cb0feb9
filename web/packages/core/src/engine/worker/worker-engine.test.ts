import { describe, expect, it, vi } from 'vitest';
import { CallTimeoutError, WorkerCrashedError } from '../../rpc/errors.js';
import type { RpcFromWorker as FromWorkerMessage, RpcToWorker as ToWorkerMessage } from '../../rpc/protocol.js';
import { InvalidRequestError, ModelFormatError } from '../errors.js';
import { WorkerEngine } from './worker-engine.js';
import { serveEngine } from './worker-host.js';

/**
 * A Worker stand-in over a MessageChannel: the "worker side" runs a scripted
 * handler (or the real host), and the test can make it die like a crashed worker.
 */
class FakeWorker extends EventTarget {
  readonly sent: ToWorkerMessage[] = [];
  terminated = false;
  private readonly channel = new MessageChannel();

  constructor(handler: (message: ToWorkerMessage, reply: (m: FromWorkerMessage) => void) => void) {
    super();
    this.channel.port1.onmessage = (event: MessageEvent<FromWorkerMessage>) => {
      if (!this.terminated) this.dispatchEvent(new MessageEvent('message', { data: event.data }));
    };
    this.channel.port2.onmessage = (event: MessageEvent<ToWorkerMessage>) => {
      this.sent.push(event.data);
      handler(event.data, (m) => this.channel.port2.postMessage(m));
    };
  }

  postMessage(message: ToWorkerMessage): void {
    if (!this.terminated) this.channel.port1.postMessage(message);
  }

  terminate(): void {
    this.terminated = true;
    this.channel.port1.close();
    this.channel.port2.close();
  }

  crash(message: string): void {
    this.dispatchEvent(Object.assign(new Event('error'), { message }));
  }
}

const statusReply = { state: 'idle', modelId: null, backend: null, size: null, canReload: false, host: 'worker', lastError: null } as const;

function engineWith(handler: ConstructorParameters<typeof FakeWorker>[0], timeouts = {}) {
  const workers: FakeWorker[] = [];
  const engine = new WorkerEngine({
    createWorker: () => {
      const w = new FakeWorker(handler);
      workers.push(w);
      return w as unknown as Worker;
    },
    timeouts,
  });
  return { engine, workers };
}

describe('WorkerEngine (the page side of the protocol)', () => {
  it('sends typed calls with request ids and resolves with the result', async () => {
    const { engine, workers } = engineWith((m, reply) => {
      if (m.rpc === 'call' && m.op === 'status') reply({ rpc: 'result', id: m.id, result: statusReply });
    });
    expect(await engine.status()).toEqual(statusReply);
    expect(await engine.status()).toEqual(statusReply);
    expect(workers[0]?.sent.map((m) => m.rpc === 'call' && [m.id, m.op])).toEqual([
      [1, 'status'],
      [2, 'status'],
    ]);
  });

  it('delivers progress tied to the request and re-throws the worker error as the same class, with its stack', async () => {
    const { engine } = engineWith((m, reply) => {
      if (m.rpc !== 'call') return;
      reply({ rpc: 'progress', id: m.id, progress: { stage: 'tokenize' } });
      reply({ rpc: 'progress', id: 999, progress: { stage: 'vae' } }); // another request's: ignored
      reply({
        rpc: 'error',
        id: m.id,
        error: {
          name: 'ModelFormatError',
          message: 'unet has no input sample',
          stack: 'ModelFormatError: unet has no input sample\n    at worker.ts:1',
          fields: {},
        },
      });
    });
    const onProgress = vi.fn();
    const error = await engine.generate({ prompt: 'x' }, { onProgress }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).stack).toContain('at worker.ts:1');
    expect(onProgress.mock.calls).toEqual([[{ stage: 'tokenize' }]]);
  });

  it('an AbortSignal rejects at once with its reason and sends a cancel message', async () => {
    const { engine, workers } = engineWith(() => {});
    const controller = new AbortController();
    const pending = engine.generate({ prompt: 'x' }, { signal: controller.signal });
    const reason = new Error('user cancelled');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await new Promise((r) => setTimeout(r, 10));
    expect(workers[0]?.sent.at(-1)).toMatchObject({ rpc: 'cancel', id: 1, reason: { name: 'Error', message: 'user cancelled' } });
    await expect(engine.generate({ prompt: 'x' }, { signal: controller.signal })).rejects.toBe(reason);
  });

  it('a call past its timeout rejects with CallTimeoutError and the worker is replaced', async () => {
    const { engine, workers } = engineWith((m, reply) => {
      if (m.rpc === 'call' && m.op === 'status') reply({ rpc: 'result', id: m.id, result: statusReply });
    });
    const error = await engine.generate({ prompt: 'x' }, { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect((error as Error).message).toBe('generate did not finish within 20 ms');
    expect(workers[0]?.terminated).toBe(true);
    expect(await engine.status()).toEqual(statusReply);
    expect(workers).toHaveLength(2);
  });

  it('a dying worker rejects every pending call with WorkerCrashedError, and the next generate reloads the model first', async () => {
    let loads = 0;
    const { engine, workers } = engineWith((m, reply) => {
      if (m.rpc !== 'call') return;
      if (m.op === 'load') {
        loads++;
        reply({ rpc: 'result', id: m.id, result: { backend: 'wasm' } as never });
      }
      if (m.op === 'generate' && workers.length > 1) reply({ rpc: 'result', id: m.id, result: { backend: 'wasm', rgba: new Uint8ClampedArray(4) } as never });
    });
    await engine.load({ model: {} as never, source: { kind: 'url', baseUrl: '/' } });
    const a = engine.generate({ prompt: 'x' });
    const b = engine.status();
    await new Promise((r) => setTimeout(r, 10));
    workers[0]?.crash('Uncaught RangeError: out of memory');
    await expect(a).rejects.toThrow(WorkerCrashedError);
    await expect(b).rejects.toThrow(/engine worker died: Uncaught RangeError: out of memory/);
    expect(workers[0]?.terminated).toBe(true);
    const image = await engine.generate({ prompt: 'x' });
    expect(loads).toBe(2);
    expect(image.reloaded).toBe(true);
    expect(image.recovery).toMatchObject({ kind: 'worker-restarted', from: 'wasm', to: 'wasm', reason: expect.stringMatching(/out of memory/) });
    const reload = workers[1]?.sent.find((m) => m.rpc === 'call' && m.op === 'load');
    expect(reload).toMatchObject({ payload: { warmUp: false } });
  });

  it('after dispose every call rejects', async () => {
    const { engine } = engineWith(() => {});
    const pending = engine.status();
    engine.dispose();
    await expect(pending).rejects.toThrow(/disposed/);
    await expect(engine.status()).rejects.toThrow(/disposed/);
  });
});

describe('serveEngine (the worker side) with the real engine', () => {
  it('answers status and turns a bad request into a typed error for the caller', async () => {
    const engine = new WorkerEngine({
      createWorker: () => {
        const channel = new MessageChannel();
        const scope = {
          postMessage: (m: FromWorkerMessage, transfer: Transferable[]) => channel.port2.postMessage(m, transfer),
          addEventListener: (_: 'message', l: (e: MessageEvent<ToWorkerMessage>) => void) => channel.port2.addEventListener('message', l),
        };
        channel.port2.start();
        serveEngine(scope, { detect: () => Promise.reject(new Error('not reached')) });
        const worker = Object.assign(new EventTarget(), {
          postMessage: (m: ToWorkerMessage) => channel.port1.postMessage(m),
          terminate: () => channel.port1.close(),
        });
        channel.port1.onmessage = (e) => worker.dispatchEvent(new MessageEvent('message', { data: e.data }));
        return worker as unknown as Worker;
      },
    });
    expect(await engine.status()).toMatchObject({ state: 'idle', host: 'worker', canReload: false });
    await expect(engine.generate({ prompt: 'x', steps: 9 })).rejects.toThrow(/no model is loaded/);
    const pipeline = { kind: 'sd-turbo', textMaxLength: 77, padTokenId: 0, latentChannels: 4, vaeScaleFactor: 8, vaeScalingFactor: 0.18215, defaultSize: 64 };
    const error = await engine.load({ model: { id: 'm', pipeline, variants: {} }, source: { kind: 'url', baseUrl: '/' }, size: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(/size must be a positive multiple of 64, got 100/);
    engine.dispose();
  });
});
