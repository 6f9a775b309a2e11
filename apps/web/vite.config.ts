import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The portal SPA. `vite` (dev) proxies the API to a server on :8080; the build lands in dist/. */
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/dicomweb': 'http://127.0.0.1:8080', '/ohif': 'http://127.0.0.1:8080' },
  },
});
