import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTestModels } from '@hybridgen/testmodels';
import { afterAll, describe, expect, it } from 'vitest';
import { MalformedModelError } from '../engine/errors.js';
import { onnxGraphUsesFloat16 } from './graph-scan.js';

const out = mkdtempSync(join(tmpdir(), 'hg-scan-'));
const { modelDir } = generateTestModels({ outDir: out });
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('onnxGraphUsesFloat16', () => {
  it.each(['text_encoder', 'unet', 'vae_decoder'])('finds fp16 weights in the fp16 %s and none in the fp32 one', (role) => {
    expect(onnxGraphUsesFloat16(readFileSync(join(modelDir, 'fp16', role, 'model.onnx')))).toBe(true);
    expect(onnxGraphUsesFloat16(readFileSync(join(modelDir, 'fp32', role, 'model.onnx')))).toBe(false);
  });

  it('throws on bytes that are not a protobuf', () => {
    expect(() => onnxGraphUsesFloat16(new TextEncoder().encode('<!doctype html><html>'))).toThrow(MalformedModelError);
  });
});
