// Which operators onnxruntime-web can run per backend: the repository's
// models/ops/onnxruntime-web.json (its comment cites the sources), the same
// table `hybridgen models check` uses.
import table from '../../../../../models/ops/onnxruntime-web.json' with { type: 'json' };
import type { Backend } from '../backend/types.js';
import type { GraphSummary, ModelManifest } from './types.js';

interface OpTable {
  readonly fullDomains: readonly string[];
  readonly backends: Readonly<Record<string, readonly string[]>>;
  readonly kernels: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

const OPS: OpTable = table;

/** One graph of a variant that its backend cannot run. */
export interface UnsupportedGraph {
  /** The file's path in the manifest. */
  readonly path: string;
  /** The operators no execution provider of the backend has, as `domain.Op`, sorted. */
  readonly ops: readonly string[];
}

/** The operators of `graph` that `backend` cannot run (`com.microsoft.GroupNorm`, ...), sorted. */
export function unsupportedOps(graph: GraphSummary, backend: Backend): string[] {
  const providers = OPS.backends[backend] ?? [];
  const out: string[] = [];
  for (const [domain, ops] of Object.entries(graph.ops)) {
    if (OPS.fullDomains.includes(domain)) continue;
    for (const op of ops) if (!providers.some((p) => OPS.kernels[p]?.[domain]?.includes(op))) out.push(`${domain}.${op}`);
  }
  return out.sort();
}

/**
 * The graphs `backend` cannot run, judged from the manifest's graph summaries
 * before anything is downloaded: of the backend's own variant, or (for a
 * variant built on the device) of the `source` variant it is derived from.
 * Files without a summary are not judged.
 */
export function variantUnsupportedGraphs(manifest: ModelManifest, backend: Backend, source: Backend = backend): UnsupportedGraph[] {
  const files = manifest.variants[source]?.files ?? [];
  const out: UnsupportedGraph[] = [];
  for (const f of files) {
    const ops = f.graph ? unsupportedOps(f.graph, backend) : [];
    if (ops.length > 0) out.push({ path: f.path, ops });
  }
  return out;
}

/** A sentence for people: which file uses which operators the backend lacks. */
export function unsupportedOpsReason(backend: Backend, graphs: readonly UnsupportedGraph[]): string {
  const kernels = backend === 'wasm' ? 'CPU (WASM)' : 'WebGPU or CPU';
  const uses = graphs.map((g) => `${g.path} uses ${g.ops.join(', ')}`).join('; ');
  return `${uses}: onnxruntime-web has no ${kernels} kernel for ${graphs.some((g) => g.ops.length > 1) || graphs.length > 1 ? 'them' : 'it'}`;
}
