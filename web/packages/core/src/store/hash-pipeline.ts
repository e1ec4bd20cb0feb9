// Streaming SHA-256 (and, when asked, git's blob SHA-1) for downloads. hash-wasm hashes at about the speed a
// loopback download arrives, so doing it on the download worker's thread
// halves throughput; instead the chunks go (transferred, not copied) to a
// hash worker that runs in parallel. Backpressure keeps at most
// `maxQueuedBytes` in flight. Where a worker cannot start one (no nested
// workers, or no hash worker given), the same interface hashes inline.
// The worker speaks the rpc module (HashApi); the app's download worker
// injects the hash worker's factory.

import { createSHA1, createSHA256, type IHasher } from 'hash-wasm';
import { createRpcClient, type RpcWorker } from '../rpc/client.js';
import { type RpcScope, serveRpc, withTransfer } from '../rpc/server.js';

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

/** The hash worker's API over the rpc module; calls run strictly in order (`serial`). */
export type HashApi = {
  init: { request: HasherStart; result: null };
  /** Hashes a transferred buffer; answers its length. */
  update: { request: ArrayBuffer; result: number };
  save: { request: Record<string, never>; result: HasherState };
  digest: { request: Record<string, never>; result: HasherDigests };
};

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
  /** Creates the hash worker (one serving {@link serveHasher}); without it, or where it cannot start, hashing is inline. */
  readonly createWorker?: (() => RpcWorker) | undefined;
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

function workerHasher(createWorker: () => RpcWorker, maxQueuedBytes: number): StreamingHasher {
  const rpc = createRpcClient<HashApi>({ name: 'the hash worker', createWorker });
  let queued = 0;
  let failure: unknown = null;
  let roomWaiter: (() => void) | null = null;
  const watch = <T>(call: Promise<T>): Promise<T> =>
    call.catch((error: unknown) => {
      failure ??= error;
      roomWaiter?.();
      throw error;
    });
  const check = (): void => {
    if (failure) throw failure;
  };
  const request = <T>(call: () => Promise<T>): Promise<T> => (failure ? Promise.reject(failure) : watch(call()));
  const init = (start: HasherStart): void => void watch(rpc.call('init', start)).catch(() => {});
  init({});
  return {
    reset: (start) => init(start ?? {}),
    async update(chunk) {
      check();
      const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer;
      const buffer = whole ? (chunk.buffer as ArrayBuffer) : chunk.slice().buffer;
      queued += buffer.byteLength;
      void watch(rpc.call('update', buffer, { transfer: [buffer] }))
        .then((bytes) => {
          queued -= bytes;
          if (queued <= maxQueuedBytes / 2) roomWaiter?.();
        })
        .catch(() => {});
      while (queued > maxQueuedBytes && !failure) await new Promise<void>((resolve) => (roomWaiter = resolve));
      roomWaiter = null;
      check();
    },
    save: () => request(() => rpc.call('save', {})),
    digest: () => request(() => rpc.call('digest', {})),
    close: () => rpc.dispose(),
  };
}

/** A streaming SHA-256 (+ optional git blob SHA-1): in a hash worker when one can start, else inline. */
export async function createStreamingHasher(options: StreamingHasherOptions = {}): Promise<StreamingHasher> {
  if (!options.createWorker) return inlineHasher();
  const { createWorker } = options;
  try {
    const worker = createWorker();
    let first: RpcWorker | null = worker;
    // The first worker is made here, so that a browser without nested workers falls back to inline hashing.
    return workerHasher(
      () => {
        const w = first ?? createWorker();
        first = null;
        return w;
      },
      options.maxQueuedBytes ?? 64 * 1024 * 1024,
    );
  } catch {
    return inlineHasher();
  }
}

/** Runs in the hash worker: serves {@link HashApi} with one {@link DualHasher}. */
export function serveHasher(scope: RpcScope): void {
  const ready: Promise<DualHasher> = DualHasher.create();
  serveRpc<HashApi>(
    scope,
    {
      init: async (start) => {
        (await ready).init(start);
        return null;
      },
      update: async (buffer) => {
        (await ready).update(new Uint8Array(buffer));
        return buffer.byteLength;
      },
      save: async () => {
        const state = (await ready).save();
        return withTransfer(state, state.gitBlobSha1 ? [state.sha256.buffer, state.gitBlobSha1.buffer] : [state.sha256.buffer]);
      },
      digest: async () => (await ready).digest(),
    },
    { serial: true },
  );
}
