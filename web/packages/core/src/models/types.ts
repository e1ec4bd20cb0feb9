import type { Backend, VariantRequirements } from '../backend/types.js';
import type { PipelineConfig } from './pipeline.js';

/** What a file does in a pipeline. */
export type FileRole =
  | 'tokenizer'
  | 'text_encoder'
  | 'unet'
  | 'vae_decoder'
  | 'vae_encoder'
  | 'tiny_decoder'
  | 'tiny_encoder'
  | 'external_data'
  | 'upscaler'
  | 'segmenter';

/** Every role, for validation. */
export const FILE_ROLES: readonly FileRole[] = [
  'tokenizer',
  'text_encoder',
  'unet',
  'vae_decoder',
  'vae_encoder',
  'tiny_decoder',
  'tiny_encoder',
  'external_data',
  'upscaler',
  'segmenter',
];

/**
 * Conversions a file's {@link ManifestFileSource} may name (`taesd-decoder` / `taesd-encoder`: TAESD's PyTorch
 * weights to ONNX; `upscalerjs-esrgan-slim-x2`/`-x4`: UpscalerJS's TF.js ESRGAN models from their npm tarball;
 * `mediapipe-selfie-segmentation`: MediaPipe's TFLite selfie segmenter from its npm tarball).
 */
export const FILE_CONVERTERS = [
  'mediapipe-selfie-segmentation',
  'taesd-decoder',
  'taesd-encoder',
  'upscalerjs-esrgan-slim-x2',
  'upscalerjs-esrgan-slim-x4',
] as const;

/**
 * The published file a mirror's file is converted from by `hybridgen models pull`
 * (e.g. the tiny decoder from TAESD's PyTorch weights): only a mirror serves such a file.
 */
export interface ManifestFileSource {
  /** An http(s) URL, or `npm:<package>@<exact version>` (the package's published tarball). */
  readonly url: string;
  /** Git blob SHA-1 of the source (40 lowercase hex), which pins its bytes. */
  readonly gitBlobSha1: string;
  readonly convert: (typeof FILE_CONVERTERS)[number];
}

/** One file of a variant (see models/README.md). */
export interface ManifestFile {
  readonly role: FileRole;
  /** Relative to the manifest's `baseUrl`; also the file's path in OPFS and in the mirror (under the model id). */
  readonly path: string;
  /** Size in bytes; an estimate when {@link ManifestFile.bytesEstimated} is set. */
  readonly bytes: number;
  /** `bytes` is a rounded listing: the server's Content-Length is the real size. */
  readonly bytesEstimated?: boolean;
  /** Pinned lowercase hex SHA-256, or `null`. */
  readonly sha256: string | null;
  /**
   * Pinned git blob SHA-1 (sha1 of `blob <len>\0` + bytes; Hugging Face's ETag for a file not in LFS).
   * With neither hash pinned, the download is verified against the hash the server announces.
   */
  readonly gitBlobSha1?: string;
  /** A summary of the file's ONNX graph, so a backend can be refused before the download. */
  readonly graph?: GraphSummary;
  /** Set when the file is made from another file by `hybridgen models pull`; see {@link ManifestFileSource}. */
  readonly source?: ManifestFileSource;
}

/** One dimension of a graph input or output: a size, a symbolic name, or unknown (`null`). */
export type GraphDim = number | string | null;

/** One graph input or output. */
export interface GraphTensor {
  readonly name: string;
  /** Element type in onnxruntime-web's spelling: `float32`, `float16`, `int64`, ... */
  readonly type: string;
  readonly shape: readonly GraphDim[];
}

/** What a backend needs to know about an ONNX graph before downloading it (written by `hybridgen models pull` / `models check`). */
export interface GraphSummary {
  /** Opset version per domain (`ai.onnx` for the standard domain). */
  readonly opsets: Readonly<Record<string, number>>;
  readonly inputs: readonly GraphTensor[];
  readonly outputs: readonly GraphTensor[];
  /** Operator types used, per domain. */
  readonly ops: Readonly<Record<string, readonly string[]>>;
}

/** The files one backend runs, and what it needs from the device. */
export interface ManifestVariant {
  readonly requirements: VariantRequirements;
  readonly files: readonly ManifestFile[];
}

/** A model manifest, schema version 1: the JSON files in the repository's `models/` folder. */
export interface ModelManifest {
  readonly schemaVersion: 1;
  /** Stable id; the folder name in OPFS and in the mirror. */
  readonly id: string;
  readonly displayName: string;
  readonly license: { readonly name: string; readonly url?: string };
  /** Free text for people: provenance, what is not pinned and why. */
  readonly comment?: string;
  /** Where the files live: an http(s) URL or a path on the app's own server, ending in `/`, at a pinned revision. */
  readonly baseUrl: string;
  /** What the model's pipeline needs (SD-Turbo's constants, the upscaler's tiling), checked by kind when parsed. */
  readonly pipeline: PipelineConfig;
  readonly variants: Partial<Readonly<Record<Backend, ManifestVariant>>>;
}
