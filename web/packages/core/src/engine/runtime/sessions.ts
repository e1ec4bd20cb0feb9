/**
 * Creating the three ONNX sessions of an SD-Turbo variant on one backend:
 * files read from the source (with progress), external data attached to the
 * model in the same folder, static input shapes derived from each graph's
 * declared inputs, WebGPU options (only `last_hidden_state` kept on the GPU)
 * or WASM options.
 */

import type { Backend } from '../../backend/types.js';
import { type DeclaredInput, onnxGraphInputs, onnxGraphUsesFloat16 } from '../../onnx/graph-scan.js';
import { throwIfAborted } from '../../rpc/abort.js';
import { BackendUnavailableError, ModelFormatError } from '../errors.js';
import type { ModelFileEntry, ModelFileSource, ModelVariant, SdTurboPipeline } from '../model.js';
import { type ExpectedShape, expectedInputShapes, freeDimensionOverrides } from '../pipeline/input-shapes.js';
import { type ClipTokenizerFiles, readVariantTokenizerFiles } from '../tokenizer/tokenizer-files.js';
import type { EngineProgress } from '../types.js';
import { readModelFile } from './files.js';
import type { OrtModule } from './runtime.js';

/** The roles that are ONNX graphs, in load order. */
export const GRAPH_ROLES = ['text_encoder', 'unet', 'vae_decoder'] as const;
/** One of {@link GRAPH_ROLES}. */
export type GraphRole = (typeof GRAPH_ROLES)[number];
/**
 * A graph a variant may add: the tiny (TAESD-class) decoder for drafts. It takes the UNet's x0 as it
 * is (latent scale 1) and outputs pixels in [0, 1].
 */
export const OPTIONAL_GRAPH_ROLES = ['tiny_decoder'] as const;
/**
 * Graphs loaded on first use, not with the model: the tiny (TAESD) encoder of image-to-image, so
 * text-to-image never pays for it.
 */
export const LAZY_GRAPH_ROLES = ['tiny_encoder'] as const;
/** Any graph the engine loads. */
export type SessionRole = GraphRole | (typeof OPTIONAL_GRAPH_ROLES)[number] | (typeof LAZY_GRAPH_ROLES)[number];

/** The sessions of a loaded variant: the three required ones, and the tiny decoder when the variant has it. */
export type PipelineSessions = Readonly<Record<GraphRole, import('onnxruntime-web/webgpu').InferenceSession>> & {
  readonly tiny_decoder?: import('onnxruntime-web/webgpu').InferenceSession;
};

/** The sessions and tokenizer bytes of a loaded variant. */
export interface LoadedSessions {
  readonly sessions: PipelineSessions;
  readonly tokenizerFiles: ClipTokenizerFiles;
  readonly readFilesMs: number;
  readonly createSessionsMs: number;
}

/** Options of {@link createSessions}. */
export interface CreateSessionsOptions {
  readonly variant: ModelVariant;
  readonly source: ModelFileSource;
  readonly backend: Backend;
  readonly pipeline: SdTurboPipeline;
  readonly size: number;
  /** The WebGPU adapter has `shader-f16`. */
  readonly shaderF16: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EngineProgress) => void;
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i + 1);
}

function fileFor(variant: ModelVariant, role: string): ModelFileEntry {
  const entry = variant.files.find((f) => f.role === role);
  if (!entry) throw new ModelFormatError(`the variant has no ${role} file`);
  return entry;
}

/**
 * Outputs kept on the GPU, per graph: only the text embeddings, which go
 * straight into the UNet. Named one by one: the text encoder's other output
 * (`pooler_output`, unused) would otherwise land in a GPU buffer nobody frees.
 */
const GPU_OUTPUTS: Partial<Record<SessionRole, readonly string[]>> = { text_encoder: ['last_hidden_state'] };

/**
 * The ORT Web SD-Turbo demo's memory options, kept because they lower the
 * WASM heap's high-water mark (measured 2026-12-02, onnxruntime-web 1.30 in
 * Node, one thread, a synthetic MatMul chain, fresh process each):
 * fp32 with external data (the layout of the derived variants) 120 -> 83 MiB
 * for 64 MiB of weights; fp16 embedded 179 -> 149 MiB for 32 MiB; fp32
 * embedded unchanged (183 MiB). `disable_prepacking` stops the CPU EP keeping
 * a packed second copy of MatMul weights; `use_device_allocator_for_initializers`
 * allocates initializers outside the arena. `enableMemPattern` and
 * `enableCpuMemArena` are off as in the demo. The WebGPU figure at full size
 * comes from the GPU machine (bench/gpu/CONTEXT.md).
 */
const MEMORY_OPTIONS = { disable_prepacking: '1', use_device_allocator_for_initializers: '1' } as const;

function sessionOptions(
  opts: CreateSessionsOptions,
  role: SessionRole,
  freeDimensionOverrides: Record<string, number>,
  externalData: { path: string; data: Uint8Array }[],
): import('onnxruntime-web/webgpu').InferenceSession.SessionOptions {
  const base = {
    graphOptimizationLevel: 'all' as const,
    // Warnings such as "some nodes were not assigned to the preferred execution providers" (shape ops on CPU) are expected.
    logSeverityLevel: 3 as const,
    enableMemPattern: false,
    enableCpuMemArena: false,
    freeDimensionOverrides,
    ...(externalData.length ? { externalData } : {}),
  };
  // No spinning threads after a run: they would steal the cores the pipeline's own JS needs between runs.
  if (opts.backend === 'wasm') return { ...base, executionProviders: ['wasm'], extra: { session: { ...MEMORY_OPTIONS, intra_op: { allow_spinning: '0' } } } };
  const gpuOutputs = GPU_OUTPUTS[role] ?? [];
  return {
    ...base,
    executionProviders: ['webgpu'],
    extra: { session: MEMORY_OPTIONS },
    ...(gpuOutputs.length ? { preferredOutputLocation: Object.fromEntries(gpuOutputs.map((name) => [name, 'gpu-buffer' as const])) } : {}),
    // No graph capture: ORT requires every input and output of a captured session to be a GPU buffer
    // ("External buffer must be provided ... when enableGraphCapture is true"), and the UNet's sample and
    // timestep come from the CPU-side scheduler.
  };
}

function scanGraph(path: string, bytes: Uint8Array): { float16: boolean; inputs: DeclaredInput[] } {
  try {
    return { float16: onnxGraphUsesFloat16(bytes), inputs: onnxGraphInputs(bytes) };
  } catch (cause) {
    throw new ModelFormatError(`${path} is not an ONNX model (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
}

/** Reads one manifest file's bytes, reporting download progress. */
export type VariantFileReader = (entry: ModelFileEntry) => Promise<Uint8Array>;

/** The reader of `opts.source`, with progress as `download` events. */
export function variantFileReader(opts: CreateSessionsOptions): VariantFileReader {
  const { source, signal, onProgress } = opts;
  return (entry) =>
    readModelFile(source, entry.path, {
      ...(signal ? { signal } : {}),
      onProgress: (loadedBytes, totalBytes) => onProgress?.({ stage: 'download', path: entry.path, loadedBytes, totalBytes: totalBytes ?? entry.bytes }),
    });
}

/** One session and what it took. */
export interface GraphSession {
  readonly session: import('onnxruntime-web/webgpu').InferenceSession;
  readonly readMs: number;
  readonly createMs: number;
}

/**
 * Reads the graph of `role` (and the external data beside it) and creates its session on
 * `opts.backend`, with static shapes from `expected` (default: the pipeline's, by input name).
 */
export async function createGraphSession(
  ort: OrtModule,
  opts: CreateSessionsOptions,
  role: string,
  read: VariantFileReader,
  expected: Readonly<Record<string, ExpectedShape>> = expectedInputShapes(opts.pipeline, opts.size),
): Promise<GraphSession> {
  const { variant, signal, onProgress } = opts;
  throwIfAborted(signal);
  const t0 = performance.now();
  const entry = fileFor(variant, role);
  const bytes = await read(entry);
  const externalData = [];
  for (const f of variant.files.filter((f) => f.role === 'external_data' && dirname(f.path) === dirname(entry.path)))
    externalData.push({ path: f.path.slice(dirname(entry.path).length), data: await read(f) });
  const readMs = performance.now() - t0;
  const graph = scanGraph(entry.path, bytes);
  if (opts.backend !== 'wasm' && !opts.shaderF16 && graph.float16) {
    throw new BackendUnavailableError(
      `${entry.path} holds float16 data and this WebGPU adapter has no shader-f16: the engine does not put fp16 graphs on it (use the fp32 variant or WASM)`,
      { details: { role, backend: opts.backend } },
    );
  }
  throwIfAborted(signal);
  onProgress?.({ stage: 'create-session', role, backend: opts.backend });
  const t1 = performance.now();
  const overrides = freeDimensionOverrides(entry.path, graph.inputs, expected);
  const session = await ort.InferenceSession.create(bytes, sessionOptions(opts, role as SessionRole, overrides, externalData));
  return { session, readMs, createMs: performance.now() - t1 };
}

/** Reads the variant's files and creates its sessions. Releases whatever it created when it fails. */
export async function createSessions(ort: OrtModule, opts: CreateSessionsOptions): Promise<LoadedSessions> {
  const { variant } = opts;
  const readStart = performance.now();
  const read = variantFileReader(opts);
  const tokenizerFiles = await readVariantTokenizerFiles(variant.files, read);
  let readFilesMs = performance.now() - readStart;
  let createSessionsMs = 0;

  const roles: SessionRole[] = [...GRAPH_ROLES, ...OPTIONAL_GRAPH_ROLES.filter((r) => variant.files.some((f) => f.role === r))];
  const created: Partial<Record<SessionRole, import('onnxruntime-web/webgpu').InferenceSession>> = {};
  // One graph at a time. Reading the next graph's files while the current session was created was
  // measured at full size on the H200 (BENCHMARKS.md, h200 runs 4 and 5): it bought no load time
  // and holds two graphs' bytes in JS at once; so the simpler sequential read stays.
  try {
    for (const role of roles) {
      const graph = await createGraphSession(ort, opts, role, read);
      created[role] = graph.session;
      readFilesMs += graph.readMs;
      createSessionsMs += graph.createMs;
    }
  } catch (error) {
    await Promise.allSettled(Object.values(created).map((s) => s.release()));
    throw error;
  }
  const sessions = created as PipelineSessions;
  return { sessions, tokenizerFiles, readFilesMs, createSessionsMs };
}
