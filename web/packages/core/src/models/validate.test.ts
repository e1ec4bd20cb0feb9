import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_MANIFESTS, getManifest, manifestRequirements, resolveFileUrl, UnknownModelError } from './registry.js';
import { ManifestError, manifestFiles, parseManifest } from './validate.js';

// The same files the Go validator's tests read (models/testdata): both sides must agree.
const testdata = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../models/testdata');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

describe('parseManifest', () => {
  it('accepts the shared valid manifests', () => {
    for (const name of readdirSync(join(testdata, 'valid'))) {
      expect(() => parseManifest(readJson(join(testdata, 'valid', name))), name).not.toThrow();
    }
  });

  it('rejects each shared invalid manifest with a ManifestError naming the field', () => {
    const expected = readJson(join(testdata, 'invalid', 'expected.json')) as Record<string, string>;
    expect(Object.keys(expected).length).toBeGreaterThan(10);
    for (const [name, field] of Object.entries(expected)) {
      let caught: unknown;
      try {
        parseManifest(readJson(join(testdata, 'invalid', name)), { source: name });
      } catch (error) {
        caught = error;
      }
      expect(caught, name).toBeInstanceOf(ManifestError);
      const error = caught as ManifestError;
      expect(error.name).toBe('ManifestError');
      expect(
        error.issues.map((i) => i.field),
        name,
      ).toContain(field);
      expect(error.message).toContain(name);
    }
  });

  it('rejects what is not an object', () => {
    expect(() => parseManifest(null)).toThrow(ManifestError);
    expect(() => parseManifest([1])).toThrow(/must be an object/);
  });
});

describe('the built-in registry', () => {
  it('ships sd-turbo pinned to a commit, with the CLIP tokenizer files, verified by server hash, fp16 only', () => {
    const m = getManifest('sd-turbo');
    expect(BUILTIN_MANIFESTS).toContain(m);
    expect(m.baseUrl).toMatch(/\/resolve\/[0-9a-f]{40}\/$/);
    expect(manifestFiles(m, 'webgpu-f16').map((f) => f.path)).toEqual([
      'tokenizer/vocab.json',
      'tokenizer/merges.txt',
      'tokenizer/tokenizer_config.json',
      'tokenizer/special_tokens_map.json',
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'vae_decoder/model.onnx',
      'tiny_decoder/model.onnx',
      'tiny_encoder/model.onnx',
    ]);
    // Nothing pinned: trust on first pull (models pull pins the mirror's copy).
    expect(manifestFiles(m).every((f) => f.sha256 === null && f.gitBlobSha1 === undefined)).toBe(true);
    expect(
      manifestFiles(m)
        .filter((f) => f.role !== 'tokenizer' && f.source === undefined)
        .every((f) => f.bytesEstimated === true),
    ).toBe(true);
    const converted = manifestFiles(m).filter((f) => f.source !== undefined);
    expect(converted.map((f) => [f.role, f.source?.convert, f.source?.gitBlobSha1, f.bytesEstimated])).toEqual([
      ['tiny_decoder', 'taesd-decoder', '5915a429fc08eba4adf62bf74f96705b8b0d5c1f', undefined],
      ['tiny_encoder', 'taesd-encoder', '65f85afc58480128926e52086fbf0fdc61c2c9b5', undefined],
    ]);
    expect(manifestRequirements(m)).toEqual({ modelId: 'sd-turbo', variants: { 'webgpu-f16': m.variants['webgpu-f16']?.requirements } });
    expect(() => getManifest('sd-xl')).toThrow(UnknownModelError);
  });

  it('resolves file URLs from the pinned base or a mirror root', () => {
    const m = getManifest('sd-turbo');
    expect(resolveFileUrl(m, 'unet/model.onnx', { origin: 'http://app.test/' })).toBe(`${m.baseUrl}unet/model.onnx`);
    expect(resolveFileUrl(m, 'unet/model.onnx', { origin: 'http://app.test/x/', mirrorRoot: '/models/' })).toBe(
      'http://app.test/models/sd-turbo/unet/model.onnx',
    );
    expect(resolveFileUrl(m, 'unet/model.onnx', { origin: 'http://app.test/', mirrorRoot: 'https://cdn.test/m' })).toBe(
      'https://cdn.test/m/sd-turbo/unet/model.onnx',
    );
  });
});

describe('relative baseUrl', () => {
  it('resolves against the URL the manifest came from', async () => {
    const { resolveManifestBase } = await import('./load.js');
    const m = parseManifest(readJson(join(testdata, 'valid', 'relative-base.json')));
    expect(resolveManifestBase(m, 'http://app.test/models/relative/manifest.json').baseUrl).toBe('http://app.test/models/relative/');
    const pinned = getManifest('sd-turbo');
    expect(resolveManifestBase(pinned, 'http://app.test/x.json')).toBe(pinned);
  });
});
