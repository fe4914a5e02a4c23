import { defineConfig } from 'vite';

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
});
