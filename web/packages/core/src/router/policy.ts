import type { CloudStatus, ImageSource, LocalStatus, Quality, RenderSettings, RouteMode } from './types.js';

/** Everything the routing policy looks at. */
export interface RouteInput {
  readonly quality: Quality;
  readonly mode: RouteMode;
  readonly local: LocalStatus;
  readonly cloud: CloudStatus;
  /** May a failed local draft be retried in the cloud (costs money)? */
  readonly allowCloudFallback: boolean;
}

/**
 * Why a request went where it did, as a code the UI turns into words (the
 * `reason` strings are for logs and tests):
 * - `local-mode` / `cloud-mode`: the caller forced the path;
 * - `no-cloud-target`: the cloud was wanted but the server has no target (or
 *   could not be reached: the app tells those apart), so local at HQ settings,
 *   or no route;
 * - `finals-in-cloud`, `local-draft`: Auto's usual choices;
 * - `wasm-slower-than-cloud`: a WASM draft would be slower than the cloud;
 * - `local-unavailable`: the local model cannot run (not stored, no backend).
 */
export type RouteCode = 'local-mode' | 'cloud-mode' | 'no-cloud-target' | 'finals-in-cloud' | 'local-draft' | 'wasm-slower-than-cloud' | 'local-unavailable';

/** Where to run, and what to try if that fails. */
export interface RoutePlan {
  readonly kind: 'plan';
  readonly code: RouteCode;
  readonly primary: ImageSource;
  readonly settings: RenderSettings;
  readonly fallback: ImageSource | null;
  readonly reason: string;
}

/** No path can make this image. */
export interface NoRoute {
  readonly kind: 'no-route';
  readonly code: RouteCode;
  readonly reason: string;
}

/** One rule of the policy: when it applies, and what it decides. */
interface Rule {
  readonly when: (input: RouteInput) => boolean;
  readonly decide: (input: RouteInput) => RoutePlan | NoRoute;
}

const plan = (code: RouteCode, primary: ImageSource, settings: RenderSettings, fallback: ImageSource | null, reason: string): RoutePlan => ({
  kind: 'plan',
  code,
  primary,
  settings,
  fallback,
  reason,
});

const localUsable = (i: RouteInput): boolean => i.local.available && i.local.backend !== 'none';
const cloudFallback = (i: RouteInput): ImageSource | null => (i.allowCloudFallback && i.cloud.configured ? 'cloud' : null);
/** WASM drafts only when they are expected to beat the cloud. */
const wasmTooSlow = (i: RouteInput): boolean =>
  i.local.backend === 'wasm' &&
  i.cloud.configured &&
  i.local.expectedDraftMs !== null &&
  i.cloud.expectedMs !== null &&
  i.local.expectedDraftMs > i.cloud.expectedMs;
const localWhy = (i: RouteInput): string => i.local.reason ?? 'the local model is not ready';

/**
 * The routing policy, first matching rule wins. Small and declarative so it
 * can be read at a glance and tested as a table.
 */
const RULES: readonly Rule[] = [
  // Forced local.
  { when: (i) => i.mode === 'local' && localUsable(i), decide: (i) => plan('local-mode', 'local', i.quality === 'final' ? 'hq' : 'draft', null, 'local mode') },
  { when: (i) => i.mode === 'local', decide: (i) => ({ kind: 'no-route', code: 'local-unavailable', reason: `local mode, but ${localWhy(i)}` }) },
  // Forced cloud.
  {
    when: (i) => i.mode === 'cloud' && i.cloud.configured,
    decide: (i) => plan('cloud-mode', 'cloud', i.quality === 'final' ? 'hq' : 'draft', null, 'cloud mode'),
  },
  {
    when: (i) => i.mode === 'cloud' && i.quality === 'final' && localUsable(i),
    decide: () => plan('no-cloud-target', 'local', 'hq', null, 'no cloud target is configured: rendered locally at HQ settings'),
  },
  {
    when: (i) => i.mode === 'cloud',
    decide: () => ({ kind: 'no-route', code: 'no-cloud-target', reason: 'cloud mode, but no cloud target is configured on the server' }),
  },
  // Auto: finals go to the cloud when there is one, else local at HQ settings.
  { when: (i) => i.quality === 'final' && i.cloud.configured, decide: () => plan('finals-in-cloud', 'cloud', 'hq', null, 'finals render in the cloud') },
  {
    when: (i) => i.quality === 'final' && localUsable(i),
    decide: () => plan('no-cloud-target', 'local', 'hq', null, 'no cloud target is configured: rendered locally at HQ settings'),
  },
  // Auto: drafts stay local unless WASM would be slower than the cloud.
  {
    when: (i) => localUsable(i) && wasmTooSlow(i),
    decide: (i) =>
      plan(
        'wasm-slower-than-cloud',
        'cloud',
        'draft',
        null,
        `a WASM draft takes ~${Math.round((i.local.expectedDraftMs ?? 0) / 1000)} s here, slower than the cloud (~${Math.round((i.cloud.expectedMs ?? 0) / 1000)} s)`,
      ),
  },
  {
    when: (i) => localUsable(i),
    decide: (i) => plan('local-draft', 'local', 'draft', cloudFallback(i), `drafts run free on this device (${i.local.backend})`),
  },
  {
    when: (i) => i.cloud.configured && i.allowCloudFallback,
    decide: (i) => plan('local-unavailable', 'cloud', 'draft', null, `drafts go to the cloud because ${localWhy(i)}`),
  },
  {
    when: () => true,
    decide: (i) => ({ kind: 'no-route', code: 'local-unavailable', reason: `${localWhy(i)}, and no cloud fallback is allowed or configured` }),
  },
];

/** Decides where an image is made. Pure: the same input gives the same plan. */
export function decideRoute(input: RouteInput): RoutePlan | NoRoute {
  for (const rule of RULES) if (rule.when(input)) return rule.decide(input);
  return { kind: 'no-route', code: 'local-unavailable', reason: 'no rule matched' };
}
