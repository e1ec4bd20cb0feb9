/**
 * A manifest's `pipeline` block, typed by its `kind` and checked when the manifest is parsed
 * (`parseManifest`), so no reader casts it: SD-Turbo's constants for the drafting engine, the
 * upscaler's tiling and value range. A kind this app runs nothing for (a test model's `test`) keeps
 * its fields unchecked.
 */

import type { ManifestIssue } from './validate.js';

/** SD-Turbo's constants: what the drafting engine needs (`pipeline.kind` `sd-turbo`). */
export interface SdTurboPipeline {
  readonly kind: 'sd-turbo';
  /** Token ids per prompt, start and end included (CLIP: 77). */
  readonly textMaxLength: number;
  readonly padTokenId: number;
  readonly latentChannels: number;
  /** Pixels per latent cell (8). */
  readonly vaeScaleFactor: number;
  /** The VAE's latent scale (0.18215). */
  readonly vaeScalingFactor: number;
  /** The image side the model was trained at (512). */
  readonly defaultSize: number;
}

/** An image upscaler (`pipeline.kind` `upscaler`, e.g. `esrgan-slim`). */
export interface UpscalerPipeline {
  readonly kind: 'upscaler';
  /** The pixel range the graph reads and writes: 1 for [0, 1], 255 for [0, 255]. */
  readonly valueRange: number;
  /** Input pixels of context each tile is read with (at least the receptive field). */
  readonly tilePadding: number;
}

/** A foreground segmenter (`pipeline.kind` `segmenter`, e.g. `selfie-segmentation`). */
export interface SegmenterPipeline {
  readonly kind: 'segmenter';
  /** The square side the graph reads. */
  readonly inputSize: number;
  /** The pixel range the graph reads: 1 for [0, 1], 255 for [0, 255]. */
  readonly valueRange: number;
}

/** The pipelines this app runs, by kind. */
export interface KnownPipelines {
  readonly 'sd-turbo': SdTurboPipeline;
  readonly upscaler: UpscalerPipeline;
  readonly segmenter: SegmenterPipeline;
}

/** A pipeline this app runs nothing for (a test model's `{ "kind": "test" }`): only its kind is read. */
export interface OtherPipeline {
  readonly kind: string;
}

/** A manifest's `pipeline` block. Narrow it with {@link isPipeline}. */
export type PipelineConfig = KnownPipelines[keyof KnownPipelines] | OtherPipeline;

/** The kinds {@link KnownPipelines} lists. */
export const PIPELINE_KINDS: readonly (keyof KnownPipelines)[] = ['sd-turbo', 'upscaler', 'segmenter'];

/** Whether `pipeline` is of `kind` (its fields were checked when the manifest was parsed). */
export function isPipeline<K extends keyof KnownPipelines>(pipeline: PipelineConfig, kind: K): pipeline is KnownPipelines[K] {
  return pipeline.kind === kind;
}

type Obj = Readonly<Record<string, unknown>>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the fields of one pipeline block, recording each bad one. */
class FieldReader {
  constructor(
    private readonly value: Obj,
    private readonly issues: ManifestIssue[],
  ) {}

  private number(field: string, ok: (v: number) => boolean, want: string): number {
    const v = this.value[field];
    if (typeof v === 'number' && ok(v)) return v;
    this.issues.push({ field: `pipeline.${field}`, problem: `must be ${want}, got ${v === undefined ? 'nothing' : JSON.stringify(v)}` });
    return Number.NaN;
  }

  positiveInteger(field: string): number {
    return this.number(field, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
  }

  nonNegativeInteger(field: string): number {
    return this.number(field, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
  }

  positiveNumber(field: string): number {
    return this.number(field, (v) => Number.isFinite(v) && v > 0, 'a positive number');
  }
}

function sdTurbo(read: FieldReader): SdTurboPipeline {
  return {
    kind: 'sd-turbo',
    textMaxLength: read.positiveInteger('textMaxLength'),
    padTokenId: read.nonNegativeInteger('padTokenId'),
    latentChannels: read.positiveInteger('latentChannels'),
    vaeScaleFactor: read.positiveInteger('vaeScaleFactor'),
    vaeScalingFactor: read.positiveNumber('vaeScalingFactor'),
    defaultSize: read.positiveInteger('defaultSize'),
  };
}

function upscaler(read: FieldReader): UpscalerPipeline {
  return { kind: 'upscaler', valueRange: read.positiveNumber('valueRange'), tilePadding: read.nonNegativeInteger('tilePadding') };
}

function segmenter(read: FieldReader): SegmenterPipeline {
  return { kind: 'segmenter', inputSize: read.positiveInteger('inputSize'), valueRange: read.positiveNumber('valueRange') };
}

/**
 * Checks a manifest's `pipeline` block by its kind and returns it typed; each problem is pushed
 * onto `issues` naming its field (`pipeline.textMaxLength`), and the result is only good when
 * none was. A known kind keeps only its own fields; another kind is kept as it is.
 */
export function parsePipeline(value: unknown, issues: ManifestIssue[]): PipelineConfig {
  if (!isObject(value)) {
    issues.push({ field: 'pipeline', problem: 'must be an object' });
    return { kind: '' };
  }
  const kind = value.kind;
  if (typeof kind !== 'string' || kind === '') {
    issues.push({ field: 'pipeline.kind', problem: 'must be a non-empty string' });
    return { kind: '' };
  }
  const read = new FieldReader(value, issues);
  if (kind === 'sd-turbo') return sdTurbo(read);
  if (kind === 'upscaler') return upscaler(read);
  if (kind === 'segmenter') return segmenter(read);
  return { ...value, kind };
}
