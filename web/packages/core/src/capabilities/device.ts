import type { DeviceHints, ExecutionContextKind } from './types.js';

/** Reads the device hints the browser exposes; synchronous, never throws. */
export function readDeviceHints(): DeviceHints {
  const nav = globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined;
  return {
    deviceMemoryGiB: typeof nav?.deviceMemory === 'number' ? nav.deviceMemory : null,
    hardwareConcurrency: typeof nav?.hardwareConcurrency === 'number' ? nav.hardwareConcurrency : null,
    onLine: typeof nav?.onLine === 'boolean' ? nav.onLine : null,
    userAgent: nav?.userAgent ?? '',
  };
}

/** Tells a window from the kinds of worker, by their global constructors. */
export function executionContextKind(): ExecutionContextKind {
  const g = globalThis as Record<string, unknown>;
  const is = (name: string): boolean => typeof g[name] === 'function' && globalThis instanceof (g[name] as new () => unknown);
  if (typeof g.window === 'object' && typeof g.document === 'object') return 'window';
  if (is('DedicatedWorkerGlobalScope')) return 'dedicated-worker';
  if (is('SharedWorkerGlobalScope')) return 'shared-worker';
  if (is('ServiceWorkerGlobalScope')) return 'service-worker';
  return 'other';
}
