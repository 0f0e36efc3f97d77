// @rumpflow/test-tools — helpers the packages' tests share (they do I/O). See README.md.
export * from './pcap.js';
export * from './tshark.js';
export * from './ovs-ofctl.js';
export * from './ovs.js';
export * from './netns.js';
export * from './service-process.js';
export * from './skip-banner.js';
export * from './rump-kernel.js';
