import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// each end-to-end test spawns Node programs from TypeScript sources (the CLI, the script, the
// kernel server): seconds apiece on a loaded machine
export default mergeConfig(sharedConfig, { test: { testTimeout: 120_000, hookTimeout: 120_000 } });
