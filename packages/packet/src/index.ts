// @rumpflow/packet — parse Ethernet frames into OpenFlow flow keys, build and rewrite them.
export * from './key.js';
export * from './parse.js';
export * from './addr.js';
