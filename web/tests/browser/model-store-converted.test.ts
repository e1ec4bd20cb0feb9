import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage } from '../harness/browser.js';
import { useSuite } from '../harness/fixtures.js';
import { makeModelsDir, sha256 } from '../harness/mirror.js';
import { hybridgenBinary, repoRoot } from '../harness/paths.js';

// A manifest file with a source (the tiny decoder from TAESD's PyTorch
// weights): `hybridgen models pull` converts it into the mirror, and the
// browser's model store downloads it from there, verified by the mirror's
// SHA-256. The source is a real torch.save file (internal/taesd/testdata/gen.py).
const pth = readFileSync(join(repoRoot, 'internal/taesd/testdata/decoder-w8.pth'));
const gitBlobSha1 = createHash('sha1').update(`blob ${pth.length}\0`).update(pth).digest('hex');
const modelsDir = makeModelsDir();

function manifest(sourceUrl: string, file: { bytes: number; bytesEstimated?: boolean }) {
  const tiny = {
    role: 'tiny_decoder',
    path: 'tiny_decoder/model.onnx',
    ...file,
    sha256: null,
    source: { url: sourceUrl, gitBlobSha1, convert: 'taesd-decoder' },
  };
  return {
    schemaVersion: 1,
    id: 'converted',
    displayName: 'Converted tiny decoder',
    license: { name: 'MIT (TAESD architecture), random weights' },
    baseUrl: 'http://127.0.0.1:9/nothing-else-to-download/',
    pipeline: { kind: 'test' },
    variants: { wasm: { requirements: { totalBytes: file.bytes, largestBufferBytes: 0, peakMemoryBytes: 0, needsShaderF16: false }, files: [tiny] } },
  };
}

describe('a converted file, from models pull to the browser', () => {
  const suite = useSuite({ webgpu: false, server: { args: ['-models-dir', modelsDir] } });
  let source: Server;
  let sourceUrl = '';
  let pullOutput = '';

  beforeAll(async () => {
    source = createServer((req, res) => {
      if (req.url !== '/taesd_decoder.pth') return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Length': pth.length }).end(pth);
    });
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}/taesd_decoder.pth`;
    const manifestPath = join(modelsDir, 'pull-manifest.json');
    writeFileSync(manifestPath, JSON.stringify(manifest(sourceUrl, { bytes: 100_000, bytesEstimated: true })));
    const { stdout } = await promisify(execFile)(hybridgenBinary(), ['models', 'pull', manifestPath, '-dir', modelsDir]);
    pullOutput = stdout;
  });
  afterAll(() => new Promise<void>((resolve) => source.close(() => resolve())));

  it('is converted by models pull and downloaded by the store, verified by the mirror hash', async () => {
    expect(pullOutput).toContain('converted from its source, verified by the pinned git blob SHA-1');
    const onnx = readFileSync(join(modelsDir, 'converted', 'tiny_decoder', 'model.onnx'));
    // The browser gets the manifest with the exact size, as a mirror's copy has it.
    const exact = manifest(sourceUrl, { bytes: onnx.length });
    const { page, context, problems } = await openPage(suite().browser, suite().server.url);
    await page.waitForFunction(() => 'hgStore' in window);
    const result = await page.evaluate(async (json) => {
      const { core } = window.hg;
      const m = core.parseManifest(json);
      // Without a mirror the upstream baseUrl cannot have it: refused before any request.
      const notMirrored = await new core.ModelStore().download(m, { variant: 'wasm' }).then(
        () => null,
        (error: Error) => ({ name: error.name, isClass: error instanceof core.NotMirroredError, path: (error as { path?: string }).path }),
      );
      const store = window.hg.newStore({ mirrorRoot: '/models/' });
      await store.download(m, { variant: 'wasm' });
      const tiny = (await store.openFiles(m, 'wasm')).byRole('tiny_decoder');
      const head = new Uint8Array(await tiny.file.slice(0, 1).arrayBuffer());
      return { notMirrored, bytes: tiny.file.size, sha256: tiny.sha256, verifiedBy: tiny.verifiedBy, first: head[0] };
    }, exact);
    expect(result).toEqual({
      notMirrored: { name: 'NotMirroredError', isClass: true, path: 'tiny_decoder/model.onnx' },
      bytes: onnx.length,
      sha256: sha256(onnx),
      verifiedBy: 'server',
      first: 0x08,
    });
    expect(problems.pageErrors).toEqual([]);
    await context.close();
  });
});
