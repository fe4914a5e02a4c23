import { defineConfig } from 'vite';

declare const process: { env: Record<string, string | undefined> };

// `npm run dev` serves the console with live reload and passes API calls to a running
// citytwin (CITYTWIN_URL, default the demo's http://127.0.0.1:1026).
const api = process.env.CITYTWIN_URL ?? 'http://127.0.0.1:1026';

// Built files go under /assets/ with content hashes (the server caches them forever); the
// map (MapLibre) and chart (uPlot) code are split into their own chunks, loaded on first use.
export default defineConfig({
  base: '/',
  publicDir: false,
  build: {
    target: 'es2020',
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    modulePreload: { polyfill: false },
  },
  server: {
    host: '127.0.0.1',
    proxy: Object.fromEntries(['/ngsi-ld', '/citytwin', '/health', '/version'].map((path) => [path, api])),
  },
});
