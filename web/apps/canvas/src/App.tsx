import {
  createRouterController,
  ImageActionsContextMenu,
  ImageActionsProvider,
  ImageActionsStatus,
  ImageGenControllerProvider,
  ImageGenShapeUtil,
  ImageGenTool,
  Img2ImgOverlay,
  imageGenComponents,
  imageGenUiOverrides,
} from '@hybridgen/tldraw';
import { getAssetUrlsByImport } from '@tldraw/assets/imports.vite';
import { useEffect, useMemo, useState } from 'react';
import { type Editor, type TLComponents, Tldraw } from 'tldraw';
import { createImageActions } from './imaging.js';
import { SidePanel } from './panels/SidePanel.js';
import { clientId, createServices, PERSISTENCE_KEY, type Services } from './services.js';

// tldraw's fonts, icons and translations, bundled by Vite and served by our
// own binary: the app needs no CDN and works offline.
const assetUrls = getAssetUrlsByImport();
const shapeUtils = [ImageGenShapeUtil];
const tools = [ImageGenTool];

/** `window.editor`, as tldraw.com does: the editor for the devtools console (and the browser tests). */
function exposeEditor(editor: Editor): void {
  (globalThis as { editor?: Editor }).editor = editor;
}

/**
 * Starts loading the stored model as soon as the page opens (not when idle), so the first preview
 * has no cold start; a Generate pressed meanwhile waits for this same load ("Preparing the model · x s").
 */
function prepareAtOpen(services: Services): void {
  const { local, store, manifest } = services;
  const ready = local.status();
  if (!ready.available || ready.warm || !local.downloadVariant) return;
  void store.status(manifest, local.downloadVariant).then((s) => {
    if (s.state !== 'ready') return;
    void local.prepare().catch((e: unknown) => console.warn('hybridgen: loading the model failed', e));
  });
}

/** The hybridgen canvas: tldraw with the image-generation shape, the model panel and the cost panel. */
export function App() {
  const [services, setServices] = useState<Services | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    createServices().then(
      (s) => {
        setServices(s);
        prepareAtOpen(s);
        document.documentElement.dataset.services = 'ready';
      },
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, []);

  const controller = useMemo(
    () =>
      services &&
      createRouterController({
        router: services.router,
        isLocalReady: () => services.local.status().warm,
        serverReachable: () => services.serverReachable,
        maxPromptChars: services.config.limits.max_prompt_chars,
        onResult: () => services.events.dispatchEvent(new Event('changed')),
        onPreparing: (progress) => services.preparing.set(progress),
      }),
    [services],
  );

  const actions = useMemo(
    () =>
      services &&
      createImageActions({
        ...services,
        clientId: clientId(),
        onResult: () => services.events.dispatchEvent(new Event('changed')),
      }),
    [services],
  );

  // A stable component per services: tldraw remounts a panel whose component type changes.
  const components = useMemo<TLComponents>(
    // Bottom left, over the canvas: the top right belongs to tldraw's style panel.
    // Image-to-image (Sketch lens, Style) sits at the top centre.
    () => ({
      ...imageGenComponents,
      ContextMenu: ImageActionsContextMenu,
      InFrontOfTheCanvas: services
        ? () => (
            <>
              <SidePanel services={services} />
              <ImageActionsStatus />
              <Img2ImgOverlay />
            </>
          )
        : null,
    }),
    [services],
  );

  if (error) return <div style={{ padding: 24, fontFamily: 'system-ui' }}>hybridgen could not start: {error}</div>;
  if (!services || !controller) return <div style={{ padding: 24, fontFamily: 'system-ui' }}>Starting hybridgen…</div>;
  return (
    <ImageGenControllerProvider controller={controller}>
      <ImageActionsProvider actions={actions}>
        <div style={{ position: 'fixed', inset: 0 }}>
          <Tldraw
            assetUrls={assetUrls}
            persistenceKey={PERSISTENCE_KEY}
            assets={services.assets}
            onMount={exposeEditor}
            shapeUtils={shapeUtils}
            tools={tools}
            overrides={imageGenUiOverrides}
            components={components}
          />
        </div>
      </ImageActionsProvider>
    </ImageGenControllerProvider>
  );
}
