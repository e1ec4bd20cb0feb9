/**
 * The text encoder's output for the last few prompts, keyed by their token ids: a seed-only change,
 * a variation or a re-render of the same prompt skips the text encoder. On WebGPU the tensors are
 * GPU buffers (the text encoder's output stays on the GPU), so the cache holds GPU memory: a few
 * 77 x 1024 fp32 embeddings, 315 KB each.
 */

import type { Tensor } from 'onnxruntime-web/webgpu';

/** Embeddings kept by default. */
export const DEFAULT_EMBEDDING_CACHE_SIZE = 8;

/** A small least-recently-used cache of text embeddings; it owns (and disposes) the tensors it holds. */
export class EmbeddingCache {
  private readonly entries = new Map<string, Tensor>();

  constructor(private readonly capacity = DEFAULT_EMBEDDING_CACHE_SIZE) {}

  /** The key of a prompt's token ids. */
  static key(ids: Int32Array): string {
    return ids.join(',');
  }

  /** The embedding for these ids, now the most recently used; undefined when absent. */
  get(key: string): Tensor | undefined {
    const tensor = this.entries.get(key);
    if (tensor) {
      this.entries.delete(key);
      this.entries.set(key, tensor);
    }
    return tensor;
  }

  /** Keeps `tensor` (the cache disposes it when it is evicted or cleared). */
  set(key: string, tensor: Tensor): void {
    const old = this.entries.get(key);
    if (old && old !== tensor) old.dispose();
    this.entries.delete(key);
    this.entries.set(key, tensor);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.get(oldest)?.dispose();
      this.entries.delete(oldest);
    }
  }

  /** How many embeddings are held. */
  get size(): number {
    return this.entries.size;
  }

  /** Disposes every embedding (before the sessions that made them are released). */
  clear(): void {
    for (const tensor of this.entries.values()) tensor.dispose();
    this.entries.clear();
  }
}
