import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The app serves the build from src/otelhouse/web/static/. Asset URLs are relative ('./'); the server
// makes them absolute under its base path and tells the UI that path in a <meta> tag (see src/base.ts),
// so the same build works at / and under /any/prefix/.

export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    // Relative to ui/ (Vite's root).
    outDir: '../src/otelhouse/web/static',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npm run dev`: the API of a local `otelhouse serve`.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
