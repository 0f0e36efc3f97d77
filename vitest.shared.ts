// Shared vitest settings: every project resolves workspace packages to their TypeScript
// sources (the "@rumpflow/source" export condition), so tests never need a build first.
import { defineConfig } from 'vitest/config';

// Not 'import': vitest hands these to Node as --conditions, and with 'import' there Node's
// require() would pick the ESM side of dual packages (ws under @fastify/websocket).
const conditions = ['@rumpflow/source', 'node'];

export const sharedConfig = defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@rumpflow/source'] } },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.e2e.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
