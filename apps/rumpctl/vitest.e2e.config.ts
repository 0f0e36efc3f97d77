// The e2e target: the suites that need more than this process (network namespaces, a real
// rump-kernel-server with real Linux hosts). `npm run test:e2e` runs them; `npm test` does not.
import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// not mergeConfig: it would append to the shared include/exclude lists instead of replacing them
export default defineConfig({
  ...sharedConfig,
  test: {
    ...sharedConfig.test,
    include: ['test/**/*.e2e.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 120_000,
  },
});
