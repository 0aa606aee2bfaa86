import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['common/**/*.test.ts', 'electron/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}', 'test/**/*.test.ts', 'demo/**/*.test.ts', 'scripts/**/*.test.mjs'],
    exclude: ['node_modules/**', 'out/**', 'renderer/dist/**'],
    pool: 'forks',
    // Two cores: more workers only thrash; e2e and import tests are I/O and sharp heavy.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
