// @rumpflow/openflow-switch — switch(4)'s OpenFlow 1.3 logic, no I/O.
export * from './match.js';
export * from './classifier.js';
export * from './flow-table.js';
