// @rumpflow/rump-net — networking of the rump kernel: interfaces and cloners (vxlan, vether,
// switch), /dev/switchN, /dev/bpf, the interface ioctls, and ifconfig as a library.
export * from './ifnet.js';
export * from './vxlan.js';
export * from './vether.js';
export * from './switch.js';
export * from './switch-device.js';
export * from './bpf.js';
export * from './net.js';
export * from './ifconfig.js';
