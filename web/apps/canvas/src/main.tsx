import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { registerServiceWorker } from './sw/register.js';

const root = document.getElementById('root');
if (!root) throw new Error('hybridgen: #root element missing from index.html');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// The app shell works offline after the first visit (not in `vite dev`, where files change).
if (import.meta.env.PROD) {
  void registerServiceWorker().then((state) => {
    document.documentElement.dataset.serviceWorker = state;
  });
}
