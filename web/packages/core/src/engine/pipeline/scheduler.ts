/**
 * The Euler discrete scheduler as diffusers' `EulerDiscreteScheduler` runs it
 * for SD-Turbo: scaled-linear betas 0.00085..0.012 over 1000 training steps,
 * "trailing" timestep spacing, epsilon prediction, no churn, final sigma 0.
 *
 * - betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)^2; alphasCumprod = cumprod(1 - betas)
 * - sigma(t) = sqrt((1 - alphasCumprod[t]) / alphasCumprod[t])
 * - trailing: timesteps = round(arange(1000, 0, -1000/steps)) - 1 (1 -> [999], 2 -> [999, 499], 4 -> [999, 749, 499, 249])
 * - initNoiseSigma = max sigma (diffusers returns max sigma for "trailing"/"linspace", not sqrt(sigma^2+1))
 * - scaleModelInput: sample / sqrt(sigma^2 + 1)
 * - step: x0 = sample - sigma * eps; prev = sample + eps * (sigmaNext - sigma)
 *
 * Sigmas are computed in float64 and stored as float32, as diffusers does.
 */

/** The fixed SD-Turbo training schedule. */
export interface SchedulerConfig {
  readonly numTrainTimesteps: number;
  readonly betaStart: number;
  readonly betaEnd: number;
}

/** SD-Turbo's scheduler config (`scheduler/scheduler_config.json`). */
export const SD_TURBO_SCHEDULER: SchedulerConfig = { numTrainTimesteps: 1000, betaStart: 0.00085, betaEnd: 0.012 };

/** The most denoising steps the engine accepts (SD-Turbo is trained for 1 to 4). */
export const MAX_STEPS = 4;

/** All training sigmas, index = timestep (float64). */
export function trainingSigmas(config: SchedulerConfig = SD_TURBO_SCHEDULER): Float64Array {
  const n = config.numTrainTimesteps;
  const a = Math.sqrt(config.betaStart);
  const b = Math.sqrt(config.betaEnd);
  const sigmas = new Float64Array(n);
  let cumprod = 1;
  for (let i = 0; i < n; i++) {
    const root = n === 1 ? a : a + ((b - a) * i) / (n - 1);
    cumprod *= 1 - root * root;
    sigmas[i] = Math.sqrt((1 - cumprod) / cumprod);
  }
  return sigmas;
}

/** A schedule for one generation: timesteps and sigmas (with a final 0). */
export interface EulerSchedule {
  readonly timesteps: readonly number[];
  /** `timesteps.length + 1` values; the last is 0. Float32-rounded. */
  readonly sigmas: readonly number[];
  /** Multiplies unit Gaussian noise into the initial latents. */
  readonly initNoiseSigma: number;
}

/** "Trailing" timesteps for `steps` inference steps. */
export function trailingTimesteps(steps: number, numTrainTimesteps = SD_TURBO_SCHEDULER.numTrainTimesteps): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > numTrainTimesteps)
    throw new RangeError(`steps must be an integer in [1, ${numTrainTimesteps}], got ${steps}`);
  const ratio = numTrainTimesteps / steps;
  const out: number[] = [];
  // np.arange(num_train, 0, -ratio): values num_train - k * ratio while > 0
  for (let k = 0; numTrainTimesteps - k * ratio > 0; k++) out.push(Math.round(numTrainTimesteps - k * ratio) - 1);
  return out;
}

const cache = new WeakMap<SchedulerConfig, Float64Array>();

/** Builds the Euler schedule diffusers' `set_timesteps(steps)` makes. */
export function eulerSchedule(steps: number, config: SchedulerConfig = SD_TURBO_SCHEDULER): EulerSchedule {
  let all = cache.get(config);
  if (!all) {
    all = trainingSigmas(config);
    cache.set(config, all);
  }
  const timesteps = trailingTimesteps(steps, config.numTrainTimesteps);
  const sigmas = timesteps.map((t) => Math.fround(all[t] ?? 0));
  sigmas.push(0);
  return { timesteps, sigmas, initNoiseSigma: Math.max(...sigmas) };
}

/** `sample / sqrt(sigma^2 + 1)`, written into `out` (may be `sample`). */
export function scaleModelInput(sample: Float32Array, sigma: number, out: Float32Array = new Float32Array(sample.length)): Float32Array {
  const scale = Math.fround(1 / Math.sqrt(sigma * sigma + 1));
  for (let i = 0; i < sample.length; i++) out[i] = (sample[i] ?? 0) * scale;
  return out;
}

/** One Euler step with epsilon prediction: returns the previous sample (`x0` when `sigmaNext` is 0). */
export function eulerStep(
  sample: Float32Array,
  eps: Float32Array,
  sigma: number,
  sigmaNext: number,
  out: Float32Array = new Float32Array(sample.length),
): Float32Array {
  if (eps.length !== sample.length) throw new RangeError(`model output has ${eps.length} values, the sample ${sample.length}`);
  const dt = Math.fround(sigmaNext - sigma);
  for (let i = 0; i < sample.length; i++) out[i] = (sample[i] ?? 0) + (eps[i] ?? 0) * dt;
  return out;
}
