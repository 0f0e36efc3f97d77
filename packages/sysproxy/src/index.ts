// @rumpflow/sysproxy — the syscall proxy wire protocol (no I/O). See README.md.
export * from './values.js';
export * from './frame.js';
export * from './errno.js';
export * from './syscalls.js';
export * from './messages.js';
export * from './token.js';
export * from './kinfo.js';
export * from './ifioctl.js';
