import type { Tensor } from 'onnxruntime-web/webgpu';
import { describe, expect, it } from 'vitest';
import { EmbeddingCache } from './embedding-cache.js';

function fakeTensor(disposed: string[], name: string): Tensor {
  return { dispose: () => disposed.push(name) } as unknown as Tensor;
}

describe('EmbeddingCache', () => {
  it('keys by token ids and returns the tensor it holds', () => {
    const cache = new EmbeddingCache(2);
    const disposed: string[] = [];
    const key = EmbeddingCache.key(Int32Array.from([49406, 320, 49407, 0]));
    expect(cache.get(key)).toBeUndefined();
    const t = fakeTensor(disposed, 'a');
    cache.set(key, t);
    expect(cache.get(EmbeddingCache.key(Int32Array.from([49406, 320, 49407, 0])))).toBe(t);
    expect(cache.get(EmbeddingCache.key(Int32Array.from([49406, 321, 49407, 0])))).toBeUndefined();
  });

  it('evicts and disposes the least recently used embedding beyond its capacity, and disposes all on clear', () => {
    const cache = new EmbeddingCache(2);
    const disposed: string[] = [];
    cache.set('a', fakeTensor(disposed, 'a'));
    cache.set('b', fakeTensor(disposed, 'b'));
    cache.get('a'); // a is now the most recent
    cache.set('c', fakeTensor(disposed, 'c'));
    expect(disposed).toEqual(['b']);
    expect(cache.size).toBe(2);
    cache.clear();
    expect(disposed.sort()).toEqual(['a', 'b', 'c']);
    expect(cache.size).toBe(0);
  });
});
