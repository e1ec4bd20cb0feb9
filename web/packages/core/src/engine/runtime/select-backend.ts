/**
 * Which backends `load` tries, in order, for a model on this device: the
 * {@link chooseBackend} choice first, then every other backend it did not
 * rule out (the fallbacks). Fails up front with a typed error when none can
 * run the model: {@link ModelTooLargeError} (saying what would fit) when size
 * is the problem, {@link BackendUnavailableError} otherwise.
 */

import { chooseBackend, WASM32_MEMORY_LIMIT_BYTES } from '../../backend/choose-backend.js';
import type { Backend, BackendRejection, ChooseBackendOptions, ModelRequirements, VariantRequirements } from '../../backend/types.js';
import { BACKENDS } from '../../backend/types.js';
import type { CapabilityReport } from '../../capabilities/types.js';
import { formatBytes } from '../../util/bytes.js';
import { BackendUnavailableError, ModelTooLargeError } from '../errors.js';
import type { EngineModel } from '../model.js';

/** The plan `load` follows. */
export interface BackendPlan {
  /** Backends to try, best first. */
  readonly candidates: readonly Backend[];
  readonly reasons: readonly string[];
  readonly rejected: readonly BackendRejection[];
}

const SIZE_CODES = new Set(['wasm32-memory', 'buffer-too-large', 'device-memory']);

/** The requirements part of a model, as chooseBackend takes it. */
export function modelRequirements(model: EngineModel): ModelRequirements {
  const variants: Partial<Record<Backend, VariantRequirements>> = {};
  for (const backend of BACKENDS) {
    const v = model.variants[backend];
    if (v) variants[backend] = v.requirements;
  }
  return { modelId: model.id, variants };
}

function sizeLimit(rejection: BackendRejection, caps: CapabilityReport): number {
  if (rejection.code === 'wasm32-memory') return WASM32_MEMORY_LIMIT_BYTES;
  if (rejection.code === 'device-memory') return (caps.device.deviceMemoryGiB ?? 0) * 1024 ** 3 * 0.5;
  return caps.webgpu.available ? Math.min(caps.webgpu.limits.maxBufferSize, caps.webgpu.limits.maxStorageBufferBindingSize) : 0;
}

function tooLarge(model: EngineModel, rejected: readonly BackendRejection[], caps: CapabilityReport, fits: Backend[]): ModelTooLargeError | null {
  const size = rejected.find((r) => SIZE_CODES.has(r.code));
  if (!size) return null;
  const req = model.variants[size.backend]?.requirements;
  const needed = size.code === 'buffer-too-large' ? (req?.largestBufferBytes ?? 0) : (req?.peakMemoryBytes ?? 0);
  const limit = sizeLimit(size, caps);
  const fitText = fits.length
    ? `The ${fits.join(', ')} variant fits this device.`
    : `No variant of ${model.id} fits; a variant needing at most ${formatBytes(limit)} ${size.code === 'buffer-too-large' ? 'per GPU buffer' : 'of memory'} would.`;
  return new ModelTooLargeError(`${model.id} (${size.backend}) is too large for this device: ${size.reason}. ${fitText}`, size.backend, needed, limit, fits);
}

/**
 * Plans the backends for `model`. `requested` forces one backend (still
 * checked against the device); `'auto'` follows chooseBackend.
 */
export function planBackends(model: EngineModel, caps: CapabilityReport, requested: Backend | 'auto', options: ChooseBackendOptions = {}): BackendPlan {
  const requirements = modelRequirements(model);
  const base: ChooseBackendOptions = { requirePersistentStorage: false, ...options };
  if (requested !== 'auto') {
    const choice = chooseBackend(caps, requirements, { ...base, allow: [requested], allowFallbackAdapter: true });
    if (choice.backend === 'none') {
      const own = choice.rejected.filter((r) => r.backend === requested);
      const fits = BACKENDS.filter(
        (b) => b !== requested && chooseBackend(caps, requirements, { ...base, allow: [b], allowFallbackAdapter: true }).backend === b,
      );
      throw (
        tooLarge(model, own, caps, fits) ??
        new BackendUnavailableError(`${requested} cannot run ${model.id} here: ${own.map((r) => r.reason).join('; ')}`, { details: { rejected: own } })
      );
    }
    return { candidates: [requested], reasons: ['requested by the caller', ...choice.reasons], rejected: [] };
  }
  const choice = chooseBackend(caps, requirements, base);
  if (choice.backend === 'none') {
    throw (
      tooLarge(model, choice.rejected, caps, []) ??
      new BackendUnavailableError(`no backend can run ${model.id} here: ${choice.reasons.join('; ')}`, { details: { rejected: choice.rejected } })
    );
  }
  const ruledOut = new Set(choice.rejected.filter((r) => r.code !== 'fallback-adapter').map((r) => r.backend));
  const rest = BACKENDS.filter((b) => b !== choice.backend && !ruledOut.has(b));
  return { candidates: [choice.backend, ...rest], reasons: choice.reasons, rejected: choice.rejected };
}
