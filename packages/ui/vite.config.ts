import { defineConfig } from 'vite';

// Preact through the automatic JSX runtime; no framework plugin is needed for a build.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 400 },
  server: { proxy: { '/api': 'http://localhost:16686' } },
});
