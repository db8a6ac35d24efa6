// The two web surfaces: Digital Banking (/) and the Admin Platform (/admin), built into
// dist/web and served by the same Fastify process (src/adapters/http/routes/web-routes.ts).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./web/', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/web/', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      input: {
        banking: `${root}banking/index.html`,
        admin: `${root}admin/index.html`,
      },
    },
  },
});
