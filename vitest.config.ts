import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Worker threads and onnxruntime sessions are real; two cores are all CI has.
    maxWorkers: 2,
    // The JSON report is what .ci/run counts; the default reporter is for humans.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
