// The e2e target: `npm start` for real (built apps as child processes). `npm run test:e2e` runs
// it after the build; `npm test` does not.
import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// not mergeConfig: it would append to the shared include/exclude lists instead of replacing them
export default defineConfig({
  ...sharedConfig,
  test: {
    ...sharedConfig.test,
    include: ['test/**/*.e2e.test.ts', 'e2e/**/*.e2e.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // the suites share ports and namespaces with nothing, but the machine has two cores
    fileParallelism: false,
  },
});
