// @ts-check
// Builds one workspace package into its dist/ for publishing; each package's `build` (and so
// `npm pack`, through `prepack`) runs it with the package folder as the working directory:
//   1. a clean `tsc -b` (dist and the package's tsbuildinfo removed first, so nothing stale ships);
//   2. worker URLs: `new URL('./x.ts', import.meta.url)` in the sources names a TypeScript file (what
//      the workspace's bundler sees through the `source` condition); in dist it becomes './x.js';
//   3. JSON imported from outside the package (models/*.json at the repository root, which the Go
//      server embeds too: one source of truth) is copied into dist/vendor/<path from the repository
//      root> and the import rewritten to it, so the tarball is self-contained;
//   4. every relative specifier left in dist must name a file inside dist, or the build fails.
// This folder has no package.json: it is a script of the workspace, not a workspace package.

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const webDir = resolve(import.meta.dirname, '../..');
const repoRoot = resolve(webDir, '..');

/** @param {string} dir @returns {Generator<string>} */
function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** @param {string} parent @param {string} path */
const inside = (parent, path) => path === parent || path.startsWith(parent + sep);

const COMMENT_LINE = /^\s*(\*|\/\*|\/\/)/;

/** @param {string} from @param {string} to relative specifier from file `from` to file `to` */
function specifier(from, to) {
  const rel = relative(dirname(from), to).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** Applies `edit` to each line of `code` that is not a comment (TSDoc examples stay as written). */
function codeLines(/** @type {string} */ code, /** @type {(line: string) => string} */ edit) {
  return code
    .split('\n')
    .map((line) => (COMMENT_LINE.test(line) ? line : edit(line)))
    .join('\n');
}

/** Step 2: `new URL('./x.ts', import.meta.url)` → './x.js' (the emitted file must exist). */
function rewriteWorkerUrls(/** @type {string} */ file, /** @type {string} */ code) {
  return codeLines(code, (line) =>
    line.replace(/new URL\((['"])(\.{1,2}\/[^'"]+)\.tsx?\1, import\.meta\.url\)/g, (_all, quote, stem) => {
      const target = resolve(dirname(file), `${stem}.js`);
      if (!existsSync(target)) throw new Error(`${file}: new URL('${stem}.ts') has no emitted ${stem}.js`);
      return `new URL(${quote}${stem}.js${quote}, import.meta.url)`;
    }),
  );
}

/** Step 3: JSON imports that leave the package are copied into dist/vendor and re-pointed. */
function vendorJson(/** @type {string} */ file, /** @type {string} */ code, /** @type {string} */ pkgDir, /** @type {string} */ dist) {
  return codeLines(code, (line) =>
    line.replace(/(from\s*|import\(\s*)(['"])(\.{1,2}\/[^'"]+\.json)\2/g, (all, head, quote, spec) => {
      const source = resolve(dirname(file), spec);
      if (inside(pkgDir, source)) return all;
      if (!inside(repoRoot, source)) throw new Error(`${file}: ${spec} is outside the repository`);
      const copy = join(dist, 'vendor', relative(repoRoot, source));
      mkdirSync(dirname(copy), { recursive: true });
      copyFileSync(source, copy);
      return `${head}${quote}${specifier(file, copy)}${quote}`;
    }),
  );
}

/** Step 4: every relative import/export/URL specifier in dist names a file in dist. */
function checkSpecifiers(/** @type {string} */ file, /** @type {string} */ code, /** @type {string} */ dist) {
  const pattern = /(?:from\s*|import\(\s*|new URL\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;
  const lines = code.split('\n').filter((line) => !COMMENT_LINE.test(line));
  for (const [, , spec] of lines.join('\n').matchAll(pattern)) {
    const target = resolve(dirname(file), spec ?? '');
    if (!inside(dist, target) || !existsSync(target)) throw new Error(`${file}: '${spec}' does not resolve inside dist`);
  }
}

/** Builds the package in `pkgDir` (default: the working directory). */
export function buildPackage(pkgDir = process.cwd()) {
  const dist = join(pkgDir, 'dist');
  rmSync(dist, { recursive: true, force: true });
  rmSync(join(pkgDir, 'tsconfig.tsbuildinfo'), { force: true });
  execFileSync(join(webDir, 'node_modules/.bin/tsc'), ['-b', pkgDir], { stdio: 'inherit' });
  const emitted = [...files(dist)].filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'));
  for (const file of emitted) {
    const code = readFileSync(file, 'utf8');
    const out = vendorJson(file, rewriteWorkerUrls(file, code), pkgDir, dist);
    if (out !== code) writeFileSync(file, out);
  }
  for (const file of emitted) checkSpecifiers(file, readFileSync(file, 'utf8'), dist);
}

if (process.argv[1] === import.meta.filename) buildPackage();
