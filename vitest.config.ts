import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Worker threads and onnxruntime sessions are real; two cores are all CI has.
    fileParallelism: true,
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
