// @rumpflow/openflow-switch — switch(4)'s OpenFlow 1.3 logic, no I/O.
export * from './match.js';
export * from './classifier.js';
export * from './flow-table.js';
export * from './ports.js';
export * from './roles.js';
export * from './actions.js';
export * from './consistency.js';
export * from './buffers.js';
export * from './packet-context.js';
export * from './pipeline.js';
export * from './table-features.js';
export * from './groups.js';
export * from './meters.js';
export * from './channel.js';
export { CAPABILITIES } from './control.js';
export * from './datapath.js';
