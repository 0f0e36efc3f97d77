// @rumpflow/packet — parse Ethernet frames into OpenFlow flow keys, build and rewrite them.
export * from './key.js';
export * from './parse.js';
export * from './addr.js';
export * from './checksum.js';
export * from './frame-checksum.js';
export * from './build.js';
export * from './rewrite.js';
export * from './encap.js';
export * from './ttl.js';
export * from './host-stack.js';
