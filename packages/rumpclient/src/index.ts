// @rumpflow/rumpclient — the rump kernel's client library. See README.md.
export { RumpClient, type ConnectOptions, type JoinOptions } from './client.js';
export {
  SyscallApi,
  rumpStat,
  type CallOptions,
  type IoctlResult,
  type PollFd,
  type RumpStat,
  type RumpClientEvents,
} from './api.js';
export { CLIENT_MAX_FRAME, abortError } from './connection.js';
export {
  type BackoffOptions,
  type RetryPolicy,
  DEFAULT_BACKOFF,
  checkRetryPolicy,
  retryDelay,
} from './retry.js';
export { defaultProgram, resolveServer, resolveToken, type Env } from './options.js';
// What callers need from the protocol, so one import does.
export {
  EV,
  EVFILT,
  ERRNO,
  F,
  FD_CLOEXEC,
  NOTE,
  O,
  POLL,
  S_IF,
  SyscallError,
  errnoName,
  type Kevent,
} from '@rumpflow/sysproxy';
