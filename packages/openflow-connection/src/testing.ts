// @rumpflow/openflow-connection/testing — helpers for tests of code built on this package
// (and of the package itself). Not part of the main entry: production code has no use for
// a clock that only moves when told to.
export { ManualTimers } from './manual-timers.js';
