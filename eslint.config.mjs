// One lint configuration for every project. nx's module-boundary rule holds the
// architecture's lines: apps may import packages, packages never import apps, and
// protocol packages (tag scope:protocol) do no I/O of their own.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

const ioModules = [
  'net', 'node:net', 'tls', 'node:tls', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises',
  'dgram', 'node:dgram', 'http', 'node:http', 'https', 'node:https', 'child_process',
  'node:child_process', 'fastify', 'ws',
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', '**/coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:package'] },
            { sourceTag: 'type:package', onlyDependOnLibsWithTags: ['type:package'] },
            {
              sourceTag: 'scope:protocol',
              onlyDependOnLibsWithTags: ['scope:protocol'],
              bannedExternalImports: ioModules,
            },
          ],
        },
      ],
    },
  },
  {
    // Tests, benchmarks and bin shims may use real I/O (sockets, processes, files).
    files: ['**/*.test.ts', '**/bench/**', '**/bin/**', '**/test/**', '**/vitest.config.ts', '**/vitest.*.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
);
