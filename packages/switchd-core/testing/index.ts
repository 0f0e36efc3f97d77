// Test rigs for switchd and its relay, shared by this package's tests and bench and by
// apps/switchd's tests: `@rumpflow/switchd-core/testing`. Exported under the
// `@rumpflow/source` condition only (tests and benches run the sources); never built or
// shipped.
export { TestController } from './test-controller.js';
export { DatapathServer, eventually, frame } from './datapath-server.js';
