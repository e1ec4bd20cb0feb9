// The rpc tests' worker, run in Node's worker_threads (bundled by the test).
import { parentPort, threadId } from 'node:worker_threads';
import type { RpcScope } from '../server.js';
import { serveRpc, withTransfer } from '../server.js';
import { type FixtureApi, FixtureError } from './fixture-api.js';

if (!parentPort) throw new Error('not a worker');
const port = parentPort;
const scope: RpcScope = {
  postMessage: (message, transfer) => port.postMessage(message, transfer as never),
  addEventListener: (_type, listener) => port.on('message', (data) => listener({ data } as MessageEvent)),
};
let lastCancel: { name: string; message: string } | null = null;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = serveRpc<FixtureApi, string>(
  scope,
  {
    echo: ({ text }) => ({ text, id: String(threadId) }),
    count: ({ n }, { progress }) => {
      for (let i = 0; i < n; i++) progress(i);
      return n;
    },
    wait: (_, { signal }) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => {
          const reason = signal.reason as Error;
          lastCancel = { name: reason.name, message: reason.message };
          reject(reason);
        }),
      ),
    lastCancel: () => lastCancel,
    fail: () => {
      throw new FixtureError('it failed', 'E_FIXTURE', { cause: new RangeError('the cause') });
    },
    sum: ({ buffer }) => {
      const sum = new Uint8Array(buffer).reduce((a, b) => a + b, 0);
      const back = new Uint8Array([1, 2, 3]).buffer;
      return withTransfer({ sum, buffer: back }, [back]);
    },
    crash: () => {
      setTimeout(() => {
        throw new Error('boom');
      });
      return new Promise(() => {});
    },
    tick: async ({ everyMs, times }, { progress }) => {
      for (let i = 0; i < times; i++) {
        await sleep(everyMs);
        progress(i);
      }
      return times;
    },
  },
  { errors: { FixtureError } },
);
server.emit('started');
