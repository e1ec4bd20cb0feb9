import { getAssetUrlsByImport } from '@tldraw/assets/imports.vite';
import { Tldraw } from 'tldraw';

// tldraw's fonts, icons and translations, bundled by Vite and served by our
// own binary: the app needs no CDN and works offline.
const assetUrls = getAssetUrlsByImport();

/** The hybridgen canvas: tldraw full-screen. */
export function App() {
  return (
    <div style={{ position: 'fixed', inset: 0 }}>
      <Tldraw assetUrls={assetUrls} persistenceKey="hybridgen-canvas" />
    </div>
  );
}
