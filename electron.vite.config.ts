/**
 * electron-vite: main (ESM, like package.json), preload (CJS: a sandboxed preload cannot load ESM or require
 * anything but 'electron', so it is one self-contained file) and the renderer (the same React app that browser
 * mode serves from renderer/dist).
 */
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      // package.json dependencies stay external (electron-builder ships them); these three are native and could
      // never be bundled, so they are named even if they move to devDependencies.
      externalizeDeps: true,
      rolldownOptions: {
        // The inference worker and its decoder thread are entries of their own: spawn.ts loads inference-worker.js
        // and inference-decoder.js beside the main bundle.
        input: {
          index: resolve(root, 'electron/main/index.ts'),
          'inference-worker': resolve(root, 'electron/core/inference/worker.ts'),
          'inference-decoder': resolve(root, 'electron/core/inference/decoder-worker.ts'),
        },
        external: ['better-sqlite3', 'sharp', 'onnxruntime-node'],
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  // Mirrors renderer/vite.config.ts (browser mode); only the output folder differs.
  renderer: {
    root: resolve(root, 'renderer'),
    base: './',
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      // Nothing inlined as data: URLs: the CSP's default-src 'self' would block inlined fonts.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      rolldownOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
