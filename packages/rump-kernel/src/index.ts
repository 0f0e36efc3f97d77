// @rumpflow/rump-kernel — the kernel of rump-kernel-server: processes, fds, devices, pipes,
// sockets and the syscalls, driven by sysproxy requests.
export * from './errors.js';
export * from './timers.js';
export * from './wait.js';
export * from './file.js';
export * from './objects.js';
export * from './devices.js';
export * from './pipe.js';
export * from './socket.js';
export * from './process.js';
export * from './kernel.js';
export * from './kqueue.js';
export * from './poll.js';
export * from './admission.js';
export * from './session.js';
export * from './server.js';
export * from './observe.js';
export * from './tap.js';
export * from './kinfo.js';
