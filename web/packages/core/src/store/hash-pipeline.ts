// Streaming SHA-256 for downloads. hash-wasm hashes at about the speed a
// loopback download arrives, so doing it on the download worker's thread
// halves throughput; instead the chunks go (transferred, not copied) to a
// hash worker that runs in parallel. Backpressure keeps at most
// `maxQueuedBytes` in flight. Where a worker cannot start one (no nested
// workers), the same interface hashes inline.

import { createSHA256 } from 'hash-wasm';

/** Download worker to hash worker. */
export type HashRequest =
  | { readonly type: 'init'; readonly state: Uint8Array | null }
  | { readonly type: 'update'; readonly buffer: ArrayBuffer }
  | { readonly type: 'save'; readonly id: number }
  | { readonly type: 'digest'; readonly id: number };

/** Hash worker to download worker. */
export type HashReply =
  | { readonly type: 'ack'; readonly bytes: number }
  | { readonly type: 'state'; readonly id: number; readonly state: Uint8Array }
  | { readonly type: 'digest'; readonly id: number; readonly hex: string }
  | { readonly type: 'error'; readonly message: string };

/** An incremental SHA-256 whose state can be saved and restored. */
export interface StreamingHasher {
  /** Starts over, from `state` (a saved state) when given. */
  reset(state?: Uint8Array): void;
  /** Adds bytes; `chunk` must not be used afterwards (its buffer may be transferred). Resolves when there is room for more. */
  update(chunk: Uint8Array): Promise<void>;
  /** The state after every byte given so far (hash-wasm `save()`). */
  save(): Promise<Uint8Array>;
  /** The lowercase hex digest of every byte given so far. */
  digest(): Promise<string>;
  close(): void;
}

/** Options of {@link createStreamingHasher}. */
export interface StreamingHasherOptions {
  /** Bytes that may wait in the hash worker before `update` waits. Default 64 MiB. */
  readonly maxQueuedBytes?: number;
  /** Hash on this thread instead of a worker. */
  readonly inline?: boolean;
}

async function inlineHasher(): Promise<StreamingHasher> {
  const hasher = await createSHA256();
  hasher.init();
  return {
    reset(state) {
      hasher.init();
      if (state) hasher.load(state);
    },
    async update(chunk) {
      hasher.update(chunk);
    },
    async save() {
      return hasher.save();
    },
    async digest() {
      return hasher.digest('hex');
    },
    close() {},
  };
}

function workerHasher(worker: Worker, maxQueuedBytes: number): StreamingHasher {
  let queued = 0;
  let nextId = 0;
  let failure: Error | null = null;
  let roomWaiter: (() => void) | null = null;
  const pending = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void }>();
  const post = (message: HashRequest, transfer: Transferable[] = []): void => worker.postMessage(message, { transfer });
  const fail = (error: Error): void => {
    failure = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    roomWaiter?.();
  };
  worker.onmessage = (event: MessageEvent<HashReply>) => {
    const reply = event.data;
    if (reply.type === 'ack') {
      queued -= reply.bytes;
      if (queued <= maxQueuedBytes / 2) roomWaiter?.();
    } else if (reply.type === 'error') {
      fail(new Error(`hash worker: ${reply.message}`));
    } else {
      const p = pending.get(reply.id);
      pending.delete(reply.id);
      p?.resolve((reply.type === 'state' ? reply.state : reply.hex) as never);
    }
  };
  worker.onerror = (event) => fail(new Error(`hash worker failed: ${event.message}`));
  const request = <T>(type: 'save' | 'digest'): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: never) => void, reject });
      post({ type, id });
    });
  };
  post({ type: 'init', state: null });
  return {
    reset(state) {
      post({ type: 'init', state: state ?? null });
    },
    async update(chunk) {
      if (failure) throw failure;
      const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer;
      const buffer = whole ? (chunk.buffer as ArrayBuffer) : chunk.slice().buffer;
      queued += buffer.byteLength;
      post({ type: 'update', buffer }, [buffer]);
      while (queued > maxQueuedBytes && !failure) await new Promise<void>((resolve) => (roomWaiter = resolve));
      roomWaiter = null;
      if (failure) throw failure;
    },
    save: () => request<Uint8Array>('save'),
    digest: () => request<string>('digest'),
    close() {
      worker.terminate();
    },
  };
}

/** A streaming SHA-256: in a hash worker when one can start, else inline. */
export async function createStreamingHasher(options: StreamingHasherOptions = {}): Promise<StreamingHasher> {
  if (options.inline || typeof Worker === 'undefined') return inlineHasher();
  try {
    const worker = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'hybridgen-hash' });
    return workerHasher(worker, options.maxQueuedBytes ?? 64 * 1024 * 1024);
  } catch {
    return inlineHasher();
  }
}
