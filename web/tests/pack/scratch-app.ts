// The scratch app of the pack test: a folder outside the repository whose node_modules holds the
// packed tarballs (unpacked) and, as symlinks into web/node_modules, only what those packages
// declare as dependencies or peers, so an undeclared import or a file left out of a tarball fails.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../harness/paths.js';

/** web/, where the workspace's node_modules is. */
export const webDir = join(repoRoot, 'web');

/** What the test needs to know of one workspace package. */
export interface WorkspacePackage {
  readonly name: string;
  readonly dir: string;
  /** The exports map's subpaths without a `*` (and not ./package.json): each is imported. */
  readonly entries: readonly string[];
  /** The package's worker entries: its src/workers/*.ts, imported through `./workers/*`. */
  readonly workers: readonly string[];
  readonly runtimeDeps: readonly string[];
}

interface Manifest {
  readonly name: string;
  readonly exports?: Record<string, unknown>;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/** Every package under web/packages (a new one is covered without editing the test). */
export function workspacePackages(): WorkspacePackage[] {
  const root = join(webDir, 'packages');
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'package.json')))
    .map((e) => {
      const dir = join(root, e.name);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
      const workerDir = join(dir, 'src/workers');
      const workers = existsSync(workerDir)
        ? readdirSync(workerDir)
            .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
            .map((f) => f.slice(0, -3))
        : [];
      const entries = Object.keys(pkg.exports ?? { '.': null }).filter((k) => !k.includes('*') && k !== './package.json');
      return { name: pkg.name, dir, entries, workers, runtimeDeps: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})] };
    });
}

/** `npm pack`s `pkg` (its prepack builds dist) and unpacks the tarball into `modules`. Returns the tarball's file list. */
export function packInto(pkg: WorkspacePackage, tarballs: string, modules: string): string[] {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', tarballs], {
    cwd: pkg.dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tarball = join(tarballs, out.trim().split('\n').at(-1) ?? '');
  const target = join(modules, pkg.name);
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
}

/** Symlinks `name` from web/node_modules into `modules` (once). */
export function linkDependency(name: string, modules: string): void {
  const link = join(modules, name);
  if (existsSync(link)) return;
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(join(webDir, 'node_modules', name), link, 'dir');
}

/** Writes the app's main.ts: imports every entry of every package and constructs every worker with Vite's `?worker`. */
export function writeMain(appDir: string, packages: readonly WorkspacePackage[]): void {
  const lines: string[] = [];
  const modules: string[] = [];
  const workers: string[] = [];
  for (const pkg of packages) {
    for (const entry of pkg.entries) {
      const id = `m${modules.length}`;
      lines.push(`import * as ${id} from '${pkg.name}${entry.slice(1)}';`);
      modules.push(id);
    }
    for (const worker of pkg.workers) {
      const id = `W${workers.length}`;
      lines.push(`import ${id} from '${pkg.name}/workers/${worker}?worker';`);
      workers.push(`new ${id}()`);
    }
  }
  lines.push(`const exported = [${modules.join(', ')}].map((m) => Object.keys(m).length);`);
  lines.push(`const started: Worker[] = [${workers.join(', ')}];`);
  lines.push("document.body.textContent = [...exported, started.length].join(',');");
  writeFileSync(join(appDir, 'main.ts'), `${lines.join('\n')}\n`);
  writeFileSync(join(appDir, 'index.html'), '<!doctype html><html><body><script type="module" src="./main.ts"></script></body></html>\n');
  writeFileSync(
    join(appDir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'bundler',
        lib: ['ES2023', 'DOM', 'DOM.Iterable'],
        types: ['vite/client'],
        strict: true,
        noEmit: true,
        jsx: 'react-jsx',
        skipLibCheck: true,
      },
      files: ['main.ts'],
    }),
  );
}
