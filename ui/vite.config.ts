import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Tauri shell embeds ui/dist at `cargo build` time, so the build must be
// self-contained: no CDN, no remote fonts.
export default defineConfig({
  plugins: [svelte()],
  // The app icon is served from the repository's icons/ folder, its one source.
  publicDir: '../icons',
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 2.40+ (Debian 12) supports ES2021.
    target: 'es2021',
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
