/**
 * The image-to-image encoder's session, created on the first call that needs
 * it (text-to-image drafts never pay for it) and released with the model.
 */

import type { InferenceSession } from 'onnxruntime-web/webgpu';
import { ModelFormatError } from '../errors.js';
import type { EngineProgress } from '../types.js';
import type { OrtModule } from './runtime.js';
import { type CreateSessionsOptions, createGraphSession, LAZY_GRAPH_ROLES, variantFileReader } from './sessions.js';

/** Told about the session's creation (`create-session`), by the call that needs it first. */
type ProgressSink = ((progress: EngineProgress) => void) | undefined;

/** The encoder's tensor names (`internal/taesd`'s contract, the same as optimum's VAE encoder). */
export const ENCODER_IO = { input: 'sample', output: 'latent_sample' } as const;

/** One encoder session, made once on demand. */
export class LazyEncoder {
  private session: Promise<InferenceSession> | null = null;
  private released = false;

  constructor(private readonly create: (onProgress: ProgressSink) => Promise<InferenceSession>) {}

  /** True once the session exists (or is being made). */
  get started(): boolean {
    return this.session !== null;
  }

  /** The session, created on the first call; a failed creation is retried on the next call. */
  get(onProgress?: (progress: EngineProgress) => void): Promise<InferenceSession> {
    if (this.released) return Promise.reject(new ModelFormatError('the encoder was released with its model'));
    if (!this.session) {
      this.session = this.create(onProgress).then((s) => {
        if (!s.inputNames.includes(ENCODER_IO.input) || !s.outputNames.includes(ENCODER_IO.output)) {
          void s.release();
          throw new ModelFormatError(`tiny_encoder must map ${ENCODER_IO.input} to ${ENCODER_IO.output} (has ${s.inputNames} -> ${s.outputNames})`);
        }
        return s;
      });
      this.session.catch(() => {
        this.session = null;
      });
    }
    return this.session;
  }

  /** Releases the session when one was made; returns how many sessions it released (0 or 1). */
  async release(): Promise<number> {
    this.released = true;
    const pending = this.session;
    this.session = null;
    if (!pending) return 0;
    try {
      await (await pending).release();
      return 1;
    } catch {
      return 0;
    }
  }
}

/**
 * The lazy encoder of a variant that lists a `tiny_encoder`, else undefined. Its session is made
 * with the model's options (backend, size); its input is pinned to [1, 3, size, size].
 */
export function lazyEncoderFor(ort: OrtModule, opts: CreateSessionsOptions): LazyEncoder | undefined {
  const role = LAZY_GRAPH_ROLES[0];
  if (!opts.variant.files.some((f) => f.role === role)) return undefined;
  // The load's signal and progress belong to the load: the encoder is made later, by a generate.
  const { signal: _signal, onProgress: _progress, ...rest } = opts;
  return new LazyEncoder(async (onProgress) => {
    const expected = { [ENCODER_IO.input]: [1, 3, opts.size, opts.size] };
    const withProgress = onProgress ? { ...rest, onProgress } : rest;
    return (await createGraphSession(ort, withProgress, role, variantFileReader(withProgress), expected)).session;
  });
}
