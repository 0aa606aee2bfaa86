import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant (`npm run mutate`): the unit tests beside the code of `common/` and
 * `electron/core/`, and the migration tests. Not the API, CLI, model or end-to-end suites: they start servers,
 * Chromium or whole ONNX models and would make every mutant cost seconds. The bundled captioner check
 * (electron/core/shapes/captioners.test.ts) runs ONNX graphs and tests no code that is mutated, so it stays out.
 */
export default defineConfig({
  test: {
    include: ['common/**/*.test.ts', 'electron/core/**/*.test.ts', 'test/migrations/**/*.test.ts'],
    exclude: ['node_modules/**', 'out/**', 'renderer/**', 'test/e2e/**', 'electron/core/shapes/captioners.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
