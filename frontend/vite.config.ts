import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Go server (`ecpts`, default 127.0.0.1:8080) serves the API and the
// WebSocket; in development Vite serves the app and forwards the rest.
const backend = 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [svelte()],
  build: {
    // frontend/embed.go embeds dist/; dist/.keep stays so a Go build
    // without the UI still compiles.
    outDir: 'dist/app',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/healthz': { target: backend },
      '/readyz': { target: backend },
      '/ws': { target: backend, ws: true },
    },
  },
});
