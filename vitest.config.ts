import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // onnxruntime sessions and model fixtures are memory-heavy; two workers match the 2-core machines
    maxWorkers: 2,
  },
});
