// How a session's device fd is read: the contract between a session and the two readiness
// strategies (kevent-mux.ts: one kevent wait for every fd; blocking-reader.ts: one blocking
// read in flight per fd).

import type { RumpClient } from '@rumpflow/rumpclient';

export type IoMode = 'kevent' | 'blocking';
export const IO_MODES: readonly IoMode[] = ['kevent', 'blocking'];

/** Bytes asked for by one read of the device (the device queues 256 KiB at most by default). */
export const READ_MAX = 65536;

/** A session, as seen by the strategy that reads its device. */
export interface DeviceUser {
  readonly fd: number;
  /** Aborted when the session closes: cancels its calls in flight. */
  readonly signal: AbortSignal;
  /** The client is backed up: do not read the device until setReading(on). */
  readonly readPaused: boolean;
  /** Bytes read from the device. */
  fromDevice(bytes: Uint8Array): void;
  /** The device's end of file (its channel was reset, the switch destroyed). */
  deviceEnd(): void;
  /** A read failed with something other than EAGAIN. */
  deviceError(error: Error): void;
}

export interface DeviceIo {
  readonly mode: IoMode;
  readonly client: RumpClient;
  /** open(2) flags for a device fd this strategy reads. */
  readonly openFlags: number;
  /** write(2)s a session may keep in flight (1 with O_NONBLOCK: EAGAIN must be retried in order). */
  readonly writesInFlight: number;
  /** Times a wait for readiness returned (kevent wake-ups; reads returned in blocking mode). */
  readonly wakeups: number;
  start(): Promise<void>;
  /** Begin reading the user's device. */
  attach(user: DeviceUser): void;
  /** Stop reading it (before its fd is closed). */
  detach(user: DeviceUser): void;
  /** Resume reading after the user's readPaused went back to false. */
  resumeReading(user: DeviceUser): void;
  /** Stop reading while readPaused is true (kevent: disable the registration now). */
  pauseReading(user: DeviceUser): void;
  /** Resolves when a write that failed with EAGAIN may be tried again. */
  writable(user: DeviceUser): Promise<void>;
  stop(): void;
}
