import { BACKENDS, type Backend } from '../backend/types.js';
import { parsePipeline } from './pipeline.js';
import { FILE_CONVERTERS, FILE_ROLES, type FileRole, type ManifestFile, type ManifestVariant, type ModelManifest } from './types.js';
import { checkGraph } from './validate-graph.js';

/** One problem in a manifest, at a JSON path such as `variants.wasm.files[2].sha256`. */
export interface ManifestIssue {
  readonly field: string;
  readonly problem: string;
}

/** A manifest that breaks the format's rules; `issues` lists every problem found. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly issues: readonly ManifestIssue[];
  constructor(issues: readonly ManifestIssue[], options?: { readonly source?: string }) {
    const where = options?.source ? `${options.source}: ` : '';
    super(`${where}invalid model manifest: ${issues.map((i) => `${i.field}: ${i.problem}`).join('; ')}`);
    this.issues = issues;
  }
}

const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const GIT_BLOB_SHA1 = /^[0-9a-f]{40}$/;
const REVISION = /^[0-9a-f]{40}$/;
const TOP_KEYS = new Set(['schemaVersion', 'id', 'displayName', 'license', 'comment', 'baseUrl', 'pipeline', 'variants']);
const FILE_KEYS = new Set(['role', 'path', 'bytes', 'bytesEstimated', 'sha256', 'gitBlobSha1', 'graph', 'source']);
const SOURCE_KEYS = new Set(['url', 'gitBlobSha1', 'convert']);

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Whether `path` is a safe relative path: slash-separated, no empty, `.` or
 * `..` segments, no dotfiles, no backslashes. The same rule as the Go mirror.
 */
export function isCleanRelativePath(path: string): boolean {
  if (path === '' || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((seg) => seg !== '' && !seg.startsWith('.'));
}

/** What is wrong with a baseUrl, or `null`. */
function baseUrlProblem(value: unknown): string | null {
  if (typeof value !== 'string' || !value.endsWith('/')) return `must be a string ending with '/'`;
  if (value.startsWith('/') && !value.startsWith('//')) return null;
  if (value.startsWith('./')) {
    // Relative to where the manifest itself was loaded from (see loadManifest).
    const rest = value.slice(2, -1);
    return rest === '' || isCleanRelativePath(rest) ? null : `a relative baseUrl must be ./ or ./<clean path>/, got ${JSON.stringify(value)}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an http(s) URL or a path starting with '/', got ${JSON.stringify(value)}`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must be an http(s) URL, got ${url.protocol}`;
  const segs = url.pathname.split('/').filter(Boolean);
  const at = segs.indexOf('resolve');
  const revision = at >= 0 ? segs[at + 1] : undefined;
  if (revision !== undefined && !REVISION.test(revision)) return `must pin a revision (a 40-hex commit), not ${JSON.stringify(revision)}`;
  return null;
}

function checkSource(field: string, value: unknown, issues: ManifestIssue[]): void {
  if (!isObject(value)) {
    issues.push({ field, problem: 'must be an object' });
    return;
  }
  for (const key of Object.keys(value)) if (!SOURCE_KEYS.has(key)) issues.push({ field: `${field}.${key}`, problem: 'unknown field' });
  if (!isSourceUrl(value.url)) issues.push({ field: `${field}.url`, problem: 'must be an http(s) URL or npm:<package>@<exact version>' });
  if (typeof value.gitBlobSha1 !== 'string' || !REVISION.test(value.gitBlobSha1)) {
    issues.push({ field: `${field}.gitBlobSha1`, problem: 'must be 40 lowercase hex digits' });
  }
  if (!FILE_CONVERTERS.includes(value.convert as (typeof FILE_CONVERTERS)[number])) {
    issues.push({ field: `${field}.convert`, problem: `must be one of ${FILE_CONVERTERS.join(', ')}` });
  }
}

/** An exact published version of an npm package, as `npm:<package>@<version>`. */
const NPM_SOURCE = /^npm:(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*@[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?$/;

function isSourceUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (value.startsWith('npm:')) return NPM_SOURCE.test(value);
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function checkFile(field: string, value: unknown, issues: ManifestIssue[]): void {
  if (!isObject(value)) {
    issues.push({ field, problem: 'must be an object' });
    return;
  }
  for (const key of Object.keys(value)) if (!FILE_KEYS.has(key)) issues.push({ field: `${field}.${key}`, problem: 'unknown field' });
  if (!FILE_ROLES.includes(value.role as FileRole)) issues.push({ field: `${field}.role`, problem: `must be one of ${FILE_ROLES.join(', ')}` });
  if (typeof value.path !== 'string' || !isCleanRelativePath(value.path)) {
    issues.push({ field: `${field}.path`, problem: 'must be a relative slash-separated path without dot segments or dotfiles' });
  }
  if (!isCount(value.bytes) || value.bytes === 0) issues.push({ field: `${field}.bytes`, problem: 'must be a positive integer' });
  if (value.bytesEstimated !== undefined && typeof value.bytesEstimated !== 'boolean') {
    issues.push({ field: `${field}.bytesEstimated`, problem: 'must be a boolean' });
  }
  if (value.sha256 !== null && (typeof value.sha256 !== 'string' || !SHA256.test(value.sha256))) {
    issues.push({ field: `${field}.sha256`, problem: 'must be 64 lowercase hex digits or null' });
  }
  if (value.gitBlobSha1 !== undefined && (typeof value.gitBlobSha1 !== 'string' || !GIT_BLOB_SHA1.test(value.gitBlobSha1))) {
    issues.push({ field: `${field}.gitBlobSha1`, problem: 'must be 40 lowercase hex digits' });
  }
  if (value.gitBlobSha1 !== undefined && value.bytesEstimated === true) {
    issues.push({ field: `${field}.bytesEstimated`, problem: 'a git blob SHA-1 pins the exact size: bytes must be exact' });
  }
  checkGraph(`${field}.graph`, value.role, value.graph, issues);
  if (value.source !== undefined) checkSource(`${field}.source`, value.source, issues);
}

function checkVariant(field: string, value: unknown, issues: ManifestIssue[]): void {
  if (!isObject(value)) {
    issues.push({ field, problem: 'must be an object' });
    return;
  }
  const req = value.requirements;
  if (
    !isObject(req) ||
    !isCount(req.totalBytes) ||
    !isCount(req.largestBufferBytes) ||
    !isCount(req.peakMemoryBytes) ||
    typeof req.needsShaderF16 !== 'boolean'
  ) {
    issues.push({ field: `${field}.requirements`, problem: 'needs totalBytes, largestBufferBytes, peakMemoryBytes (integers >= 0) and needsShaderF16' });
  }
  if (!Array.isArray(value.files) || value.files.length === 0) {
    issues.push({ field: `${field}.files`, problem: 'must list at least one file' });
    return;
  }
  const seen = new Set<string>();
  let sum = 0;
  value.files.forEach((file: unknown, i) => {
    checkFile(`${field}.files[${i}]`, file, issues);
    if (isObject(file) && typeof file.path === 'string') {
      if (seen.has(file.path)) issues.push({ field: `${field}.files[${i}].path`, problem: `${file.path} is listed twice` });
      seen.add(file.path);
    }
    if (isObject(file) && isCount(file.bytes)) sum += file.bytes;
  });
  if (isObject(req) && isCount(req.totalBytes) && req.totalBytes !== sum) {
    issues.push({ field: `${field}.requirements.totalBytes`, problem: `is ${req.totalBytes} but the files add up to ${sum}` });
  }
}

/**
 * Checks `value` against the manifest format (models/README.md) and returns
 * it typed, or throws a {@link ManifestError} listing every problem. The same
 * rules as the Go side's `models.Parse`, unknown fields included.
 */
export function parseManifest(value: unknown, options?: { readonly source?: string }): ModelManifest {
  const issues: ManifestIssue[] = [];
  if (!isObject(value)) throw new ManifestError([{ field: '(root)', problem: 'must be an object' }], options);
  for (const key of Object.keys(value)) if (!TOP_KEYS.has(key)) issues.push({ field: key, problem: 'unknown field' });
  if (value.schemaVersion !== 1) issues.push({ field: 'schemaVersion', problem: 'must be 1' });
  if (typeof value.id !== 'string' || !ID.test(value.id))
    issues.push({ field: 'id', problem: 'must be 1-64 of a-z 0-9 . _ - starting with a letter or digit' });
  if (typeof value.displayName !== 'string' || value.displayName.trim() === '') issues.push({ field: 'displayName', problem: 'must not be empty' });
  if (!isObject(value.license) || typeof value.license.name !== 'string' || value.license.name.trim() === '') {
    issues.push({ field: 'license.name', problem: 'must not be empty' });
  }
  if (value.comment !== undefined && typeof value.comment !== 'string') issues.push({ field: 'comment', problem: 'must be a string' });
  const base = baseUrlProblem(value.baseUrl);
  if (base) issues.push({ field: 'baseUrl', problem: base });
  const pipeline = parsePipeline(value.pipeline, issues);
  if (!isObject(value.variants) || Object.keys(value.variants).length === 0) {
    issues.push({ field: 'variants', problem: 'must name at least one backend' });
  } else {
    for (const [name, variant] of Object.entries(value.variants)) {
      if (!BACKENDS.includes(name as Backend)) issues.push({ field: `variants.${name}`, problem: `unknown backend (want one of ${BACKENDS.join(', ')})` });
      checkVariant(`variants.${name}`, variant, issues);
    }
  }
  if (issues.length > 0) throw new ManifestError(issues, options);
  return { ...value, pipeline } as unknown as ModelManifest;
}

/** The files of `variant`, or every distinct file of every variant when it is omitted. */
export function manifestFiles(manifest: ModelManifest, variant?: Backend): readonly ManifestFile[] {
  if (variant) return manifest.variants[variant]?.files ?? [];
  const byPath = new Map<string, ManifestFile>();
  for (const v of Object.values(manifest.variants) as ManifestVariant[]) for (const f of v.files) if (!byPath.has(f.path)) byPath.set(f.path, f);
  return [...byPath.values()];
}
