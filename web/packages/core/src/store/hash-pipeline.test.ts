import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createStreamingHasher, DualHasher } from './hash-pipeline.js';

const gitBlobSha1 = (data: Uint8Array): string => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('DualHasher', () => {
  it("computes git's blob id (git hash-object) beside the SHA-256", async () => {
    const hasher = await DualHasher.create();
    const hello = new TextEncoder().encode('hello\n');
    hasher.init({ gitBlobSize: hello.length });
    hasher.update(hello);
    // `printf 'hello\n' | git hash-object --stdin`
    expect(hasher.digest()).toEqual({ sha256: sha256(hello), gitBlobSha1: 'ce013625030ba8dba906f756967f9e9ca394464a' });
    hasher.init({});
    hasher.update(hello);
    expect(hasher.digest()).toEqual({ sha256: sha256(hello), gitBlobSha1: null });
  });

  it('resumes both hashes from saved states, as a download resumes from a checkpoint', async () => {
    const data = new Uint8Array(3_000_001).map((_, i) => (i * 7919) % 251);
    const first = await createStreamingHasher();
    first.reset({ gitBlobSize: data.length });
    await first.update(data.slice(0, 1_234_567));
    const saved = await first.save();
    expect(saved.gitBlobSha1).not.toBeNull();
    const second = await createStreamingHasher();
    second.reset({ state: saved });
    await second.update(data.slice(1_234_567));
    expect(await second.digest()).toEqual({ sha256: sha256(data), gitBlobSha1: gitBlobSha1(data) });
  });
});
