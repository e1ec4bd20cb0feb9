// Streaming SHA-256 (and, when asked, git's blob SHA-1) for downloads. hash-wasm hashes at about the speed a
// loopback download arrives, so doing it on the download worker's thread
// halves throughput; instead the chunks go (transferred, not copied) to a
// hash worker that runs in parallel. Backpressure keeps at most
// `maxQueuedBytes` in flight. Where a worker cannot start one (no nested
// workers), the same interface hashes inline.

import { createSHA1, createSHA256, type IHasher } from 'hash-wasm';

/** Saved states of the hashes (hash-wasm `save()`). */
export interface HasherState {
  readonly sha256: Uint8Array;
  /** The git blob SHA-1's state, when that hash runs. */
  readonly gitBlobSha1: Uint8Array | null;
}

/** The digests of every byte given so far, lowercase hex. */
export interface HasherDigests {
  readonly sha256: string;
  /** git's blob id (sha1 of `blob <size>\0` + bytes), when that hash runs. */
  readonly gitBlobSha1: string | null;
}

/** How to start over (see {@link StreamingHasher.reset}). */
export interface HasherStart {
  /** Resume from these saved states. */
  readonly state?: HasherState | undefined;
  /** Also compute git's blob SHA-1 of a file of this many bytes (Hugging Face's id of a file not in LFS). */
  readonly gitBlobSize?: number | undefined;
}

/** Download worker to hash worker. */
export type HashRequest =
  | { readonly type: 'init'; readonly start: HasherStart }
  | { readonly type: 'update'; readonly buffer: ArrayBuffer }
  | { readonly type: 'save'; readonly id: number }
  | { readonly type: 'digest'; readonly id: number };

/** Hash worker to download worker. */
export type HashReply =
  | { readonly type: 'ack'; readonly bytes: number }
  | { readonly type: 'state'; readonly id: number; readonly state: HasherState }
  | { readonly type: 'digest'; readonly id: number; readonly digests: HasherDigests }
  | { readonly type: 'error'; readonly message: string };

/** An incremental SHA-256 (plus an optional git blob SHA-1) whose state can be saved and restored. */
export interface StreamingHasher {
  /** Starts over: from saved states when given; with git's blob SHA-1 too when `gitBlobSize` is given. */
  reset(start?: HasherStart): void;
  /** Adds bytes; `chunk` must not be used afterwards (its buffer may be transferred). Resolves when there is room for more. */
  update(chunk: Uint8Array): Promise<void>;
  /** The states after every byte given so far (hash-wasm `save()`). */
  save(): Promise<HasherState>;
  /** The digests of every byte given so far. */
  digest(): Promise<HasherDigests>;
  close(): void;
}

/**
 * The hashes one file needs, both fed by each chunk (no second copy of the
 * bytes): SHA-256 always, git's blob SHA-1 when a start asks for it.
 */
export class DualHasher {
  readonly #sha256: IHasher;
  readonly #sha1: IHasher;
  #withSha1 = false;
  private constructor(sha256: IHasher, sha1: IHasher) {
    this.#sha256 = sha256;
    this.#sha1 = sha1;
  }
  /** Creates the hash-wasm hashers. */
  static async create(): Promise<DualHasher> {
    const [sha256, sha1] = await Promise.all([createSHA256(), createSHA1()]);
    const hasher = new DualHasher(sha256, sha1);
    hasher.init({});
    return hasher;
  }
  /** Starts over as `start` says. */
  init(start: HasherStart): void {
    this.#sha256.init();
    if (start.state) this.#sha256.load(start.state.sha256);
    this.#withSha1 = start.state ? start.state.gitBlobSha1 !== null : start.gitBlobSize !== undefined;
    this.#sha1.init();
    if (start.state?.gitBlobSha1) this.#sha1.load(start.state.gitBlobSha1);
    else if (start.gitBlobSize !== undefined) this.#sha1.update(`blob ${start.gitBlobSize}\0`);
  }
  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    if (this.#withSha1) this.#sha1.update(chunk);
  }
  save(): HasherState {
    return { sha256: this.#sha256.save(), gitBlobSha1: this.#withSha1 ? this.#sha1.save() : null };
  }
  digest(): HasherDigests {
    return { sha256: this.#sha256.digest('hex'), gitBlobSha1: this.#withSha1 ? this.#sha1.digest('hex') : null };
  }
}

/** Options of {@link createStreamingHasher}. */
export interface StreamingHasherOptions {
  /** Bytes that may wait in the hash worker before `update` waits. Default 64 MiB. */
  readonly maxQueuedBytes?: number;
  /** Hash on this thread instead of a worker. */
  readonly inline?: boolean;
}

async function inlineHasher(): Promise<StreamingHasher> {
  const hasher = await DualHasher.create();
  return {
    reset(start) {
      hasher.init(start ?? {});
    },
    async update(chunk) {
      hasher.update(chunk);
    },
    async save() {
      return hasher.save();
    },
    async digest() {
      return hasher.digest();
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
      p?.resolve((reply.type === 'state' ? reply.state : reply.digests) as never);
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
  post({ type: 'init', start: {} });
  return {
    reset(start) {
      post({ type: 'init', start: start ?? {} });
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
    save: () => request<HasherState>('save'),
    digest: () => request<HasherDigests>('digest'),
    close() {
      worker.terminate();
    },
  };
}

/** A streaming SHA-256 (+ optional git blob SHA-1): in a hash worker when one can start, else inline. */
export async function createStreamingHasher(options: StreamingHasherOptions = {}): Promise<StreamingHasher> {
  if (options.inline || typeof Worker === 'undefined') return inlineHasher();
  try {
    const worker = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'hybridgen-hash' });
    return workerHasher(worker, options.maxQueuedBytes ?? 64 * 1024 * 1024);
  } catch {
    return inlineHasher();
  }
}
