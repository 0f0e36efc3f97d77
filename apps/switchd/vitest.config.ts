import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// The tests spawn switchd, rump-kernel-server, Open vSwitch and ovs-testcontroller, each
// compiling or starting for seconds on a loaded machine: longer limits than the default.
export default mergeConfig(sharedConfig, { test: { testTimeout: 90_000, hookTimeout: 120_000 } });
