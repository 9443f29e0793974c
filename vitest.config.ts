import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // one temp folder for the whole run, removed at its end (test/helpers/temp-root.ts)
    globalSetup: ['test/helpers/temp-root.ts'],
    testTimeout: 60_000,
    // onnxruntime sessions and model fixtures are memory-heavy; two workers match the 2-core machines
    maxWorkers: 2,
  },
});
