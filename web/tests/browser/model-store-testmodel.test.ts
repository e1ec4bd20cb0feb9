import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPage } from '../harness/browser.js';
import { useSuite } from '../harness/fixtures.js';
import { testModelsDir } from '../harness/paths.js';

// The generated tiny SD-Turbo-shaped model, as the engine will get it: its
// manifest loaded from the mirror, its files stored and handed out as OPFS Files.
describe('model store with the generated test model', () => {
  const suite = useSuite({ webgpu: false, server: { args: ['-models-dir', testModelsDir] } });

  it('downloads test-tiny-sd through the mirror and hands out every file of the variant, verified', async () => {
    const manifest = JSON.parse(readFileSync(join(testModelsDir, 'test-tiny-sd', 'manifest.json'), 'utf8')) as {
      variants: { wasm: { files: { role: string; path: string; bytes: number; sha256: string }[] } };
    };
    const { page, context, problems } = await openPage(suite().browser, suite().server.url);
    await page.waitForFunction(() => 'hgStore' in window);
    const result = await page.evaluate(async () => {
      const { core } = window.hg;
      const m = await core.loadManifest('/models/test-tiny-sd/manifest.json');
      const store = window.hg.newStore();
      const events: string[] = [];
      const download = await store.download(m, { variant: 'wasm', onProgress: (e) => events.push(`${e.status}:${e.scope}`) });
      const stored = await store.openFiles(m, 'wasm');
      const unet = stored.byRole('unet');
      const head = new Uint8Array(await unet.file.slice(0, 4).arrayBuffer());
      return {
        source: download.source,
        last: events.at(-1),
        files: stored.files.map((f) => ({ role: f.role, path: f.path, bytes: f.file.size, sha256: f.sha256, verifiedBy: f.verifiedBy })),
        unetHead: [...head],
      };
    });
    expect(result.source).toBe('downloaded');
    expect(result.last).toBe('done:model');
    expect(result.files).toEqual(
      manifest.variants.wasm.files.map((f) => ({ role: f.role, path: f.path, bytes: f.bytes, sha256: f.sha256, verifiedBy: 'pinned' })),
    );
    // An ONNX ModelProto starts with field 1 (ir_version), varint: 0x08.
    expect(result.unetHead[0]).toBe(0x08);
    expect(problems.pageErrors).toEqual([]);
    await context.close();
  });
});
