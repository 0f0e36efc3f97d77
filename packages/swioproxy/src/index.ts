// @rumpflow/swioproxy — swioproxyd's core: /dev/switchN of a rump kernel served on Unix
// sockets through a multiplexer of rump fds and host fds. See README.md.
export {
  SwitchProxy,
  type ListenUnixFn,
  type ProxyEvents,
  type ProxyOptions,
  type ProxyPair,
  type ProxyTotals,
} from './proxy.js';
export { Session, WRITE_MAX, type SessionInfo, type SessionState } from './session.js';
export { IO_MODES, READ_MAX, type DeviceIo, type DeviceUser, type IoMode } from './device-io.js';
export { KeventMux, MAX_EVENTS } from './kevent-mux.js';
export { BlockingReader } from './blocking-reader.js';
export { KernelLink, type KernelLinkEvents, type KernelLinkOptions } from './kernel-link.js';
export { MessageCounter } from './message-counter.js';
export { ByteQueue } from './byte-queue.js';
export { resolveGroup } from './group.js';
