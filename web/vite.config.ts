import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard: built into web/dist, which `bitgrid serve` serves at `/` (createServer's webRoot).
// In development (`npm run dev:web`) /api is proxied to a running `bitgrid serve`, by default the
// serve command's default address; BITGRID_API points elsewhere.
const root = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.BITGRID_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    // ECharts is its own lazy chunk (~400 kB); the warning threshold is set just above it.
    chunkSizeWarningLimit: 700,
    // Two pages: the site's dashboard, and the fleet's (served by `bitgrid backend`, docs/fleet.md).
    rollupOptions: { input: { main: `${root}index.html`, fleet: `${root}fleet.html` } },
  },
  server: {
    proxy: { '/api': { target: api, ws: true, changeOrigin: true } },
  },
});
