/**
 * Registers the app-shell service worker so the canvas opens offline after
 * the first visit. Resolves when a worker controls the page (or at once if
 * service workers are unavailable); never throws.
 */
export async function registerServiceWorker(): Promise<'controlled' | 'unsupported' | 'failed'> {
  if (!('serviceWorker' in navigator)) return 'unsupported';
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    if (!navigator.serviceWorker.controller) {
      await new Promise<void>((resolve) => navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }));
    }
    return 'controlled';
  } catch (error) {
    console.warn('hybridgen: the offline service worker could not be registered', error);
    return 'failed';
  }
}
