// The packages as a consumer gets them: `npm pack` each package of web/packages, install the
// tarballs into a scratch app outside the repository (no workspace, no `source` condition, only
// declared dependencies), then type-check it against the packages' .d.ts and `vite build` it.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build, createLogger } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { linkDependency, packInto, type WorkspacePackage, webDir, workspacePackages, writeMain } from './scratch-app.js';

const scratch = mkdtempSync(join(tmpdir(), 'hybridgen-pack-'));
const appDir = join(scratch, 'app');
const modules = join(appDir, 'node_modules');
const outDir = join(scratch, 'out');
const packages: WorkspacePackage[] = workspacePackages();
const packed = new Map<string, string[]>();

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

beforeAll(() => {
  mkdirSync(modules, { recursive: true });
  const tarballs = join(scratch, 'tarballs');
  mkdirSync(tarballs);
  for (const pkg of packages) packed.set(pkg.name, packInto(pkg, tarballs, modules));
  const own = new Set(packages.map((p) => p.name));
  // The app's own: the bundler (its client types for `?worker`) and React's types.
  for (const dep of ['vite', '@types/react']) linkDependency(dep, modules);
  for (const dep of packages.flatMap((p) => p.runtimeDeps)) if (!own.has(dep)) linkDependency(dep, modules);
  writeMain(appDir, packages);
}, 180_000);

// HYBRIDGEN_PACK_KEEP=1 keeps the scratch folder (tarballs, app, build) to look at.
afterAll(() => {
  if (!process.env.HYBRIDGEN_PACK_KEEP) rmSync(scratch, { recursive: true, force: true });
});

it('finds the workspace packages and their worker entries', () => {
  expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(['@hybridgen/core', '@hybridgen/tldraw']));
  const core = packages.find((p) => p.name === '@hybridgen/core');
  expect(core?.workers).toEqual(expect.arrayContaining(['download', 'engine', 'hash', 'png', 'segment', 'upscale']));
});

it('ships dist with no TypeScript sources, tests or out-of-package paths', () => {
  for (const [name, list] of packed) {
    expect(list, name).toContain('package/package.json');
    expect(
      list.filter((f) => !f.startsWith('package/dist/') && f !== 'package/package.json'),
      name,
    ).toEqual([]);
    expect(
      list.filter((f) => /\.test\.|\.fixture\.|\/testing\//.test(f)),
      name,
    ).toEqual([]);
  }
  const core = packed.get('@hybridgen/core') ?? [];
  expect(core).toEqual(expect.arrayContaining(['package/dist/vendor/models/sd-turbo.json', 'package/dist/workers/engine.js']));
  const manifest = JSON.parse(readFileSync(join(modules, '@hybridgen/core/package.json'), 'utf8')) as { dependencies: object; devDependencies: object };
  expect(Object.keys(manifest.dependencies)).toContain('onnxruntime-web');
  expect(Object.keys(manifest.dependencies)).not.toContain('@webgpu/types');
  const tldraw = JSON.parse(readFileSync(join(modules, '@hybridgen/tldraw/package.json'), 'utf8')) as { dependencies: object; peerDependencies: object };
  expect(Object.keys(tldraw.peerDependencies).sort()).toEqual(['react', 'react-dom', 'tldraw']);
  expect(Object.keys(tldraw.dependencies)).not.toContain('tldraw');
});

it('type-checks an app against the packed .d.ts files', () => {
  let errors = '';
  try {
    execFileSync(join(webDir, 'node_modules/.bin/tsc'), ['-p', appDir], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    errors = `${(error as { stdout?: string }).stdout ?? ''}${String(error)}`;
  }
  expect(errors).toBe('');
}, 120_000);

it('builds an app that imports every entry and starts every worker from the tarballs', async () => {
  const warnings: string[] = [];
  const logger = createLogger('warn');
  logger.warn = (msg) => void warnings.push(msg);
  await build({
    root: appDir,
    configFile: false,
    logLevel: 'warn',
    customLogger: logger,
    resolve: { dedupe: ['react', 'react-dom'] },
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1e6 },
  });
  // A worker URL Vite cannot find is left as is with a warning, and the build still succeeds.
  expect(warnings.filter((w) => /doesn't exist at build time|could not be resolved/.test(w))).toEqual([]);
  const emitted = [...files(outDir)].map((f) => relative(outDir, f));
  const chunk = (name: string) => emitted.find((f) => new RegExp(`^assets/${name}-[\\w-]+\\.js$`).test(f));
  for (const pkg of packages) {
    for (const worker of pkg.workers) {
      const file = chunk(worker);
      expect(file, `${pkg.name} worker ${worker}`).toBeDefined();
      // A worker that starts another (download → hash) references that worker's chunk.
      const source = readFileSync(join(pkg.dir, 'src/workers', `${worker}.ts`), 'utf8');
      const nested = [...source.matchAll(/new URL\('\.\/([\w-]+)\.ts', import\.meta\.url\)/g)].map((m) => m[1] ?? '');
      const code = readFileSync(join(outDir, file ?? ''), 'utf8');
      for (const inner of nested) expect(code, `${worker} starts ${inner}`).toMatch(new RegExp(`/assets/${inner}-[\\w-]+\\.js`));
    }
  }
  // Every asset the code names was emitted; ORT's wasm is among them (found next to ORT's module, self-hosted).
  const code = emitted.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(outDir, f), 'utf8'));
  const named = new Set(code.flatMap((c) => [...c.matchAll(/\/(assets\/[\w.-]+\.(?:js|wasm|mjs))/g)].map((m) => m[1] ?? '')));
  expect([...named].filter((f) => !emitted.includes(f))).toEqual([]);
  expect([...named].some((f) => /^assets\/ort-wasm-simd-threaded\.asyncify-[\w-]+\.wasm$/.test(f))).toBe(true);
}, 180_000);
