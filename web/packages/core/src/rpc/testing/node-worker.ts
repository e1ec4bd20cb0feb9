// An RpcWorker over Node's worker_threads, so the rpc tests run a real worker thread.
import { Worker } from 'node:worker_threads';
import type { RpcWorker } from '../client.js';
import type { RpcToWorker } from '../protocol.js';

/** Starts `file` (an ES module) in a worker thread behind the DOM Worker's event interface. */
export class NodeWorker implements RpcWorker {
  private readonly worker: Worker;
  private terminated = false;
  /** Resolves when the thread has exited. */
  readonly exited: Promise<number>;

  constructor(file: string) {
    this.worker = new Worker(file);
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  postMessage(message: RpcToWorker, transfer: Transferable[]): void {
    this.worker.postMessage(message, transfer as never);
  }

  addEventListener(type: 'message' | 'messageerror' | 'error', listener: (event: Event) => void): void {
    if (type === 'message') this.worker.on('message', (data) => listener(new MessageEvent('message', { data })));
    else if (type === 'messageerror') this.worker.on('messageerror', () => listener(new Event('messageerror')));
    else {
      const fire = (message: string) => listener(Object.assign(new Event('error', { cancelable: true }), { message }));
      this.worker.on('error', (error) => fire(error.message));
      this.worker.on('exit', (code) => {
        if (!this.terminated) fire(`the thread exited with code ${code}`);
      });
    }
  }

  terminate(): void {
    this.terminated = true;
    void this.worker.terminate();
  }
}
